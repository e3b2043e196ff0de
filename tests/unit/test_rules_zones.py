from kaifaqu_llm.extract.rules.zones import extract_zones, find_zone_mentions


def names(text, known=None):
    return [m.text for m in find_zone_mentions(text, known)]


def test_full_and_short_forms_are_one_zone_with_the_full_form_canonical():
    text = "近年来，平遥经济技术开发区持续优化营商环境。今年以来，平遥经开区新签约项目12个。"
    zones = extract_zones(text)
    assert len(zones) == 1
    zone = zones[0]
    assert zone.mention == "平遥经济技术开发区" or zone.mention == "平遥经开区"
    assert zone.canonical == "平遥经济技术开发区"
    assert zone.type == "经济技术开发区"
    assert zone.primary is True
    assert zone.evidence in text


def test_name_is_cut_out_of_running_text_with_a_learnt_prefix():
    text = "榆次高新技术产业开发区位于晋中。走进榆次高新区，一派繁忙。企业落户在榆次高新区。"
    assert names(text) == ["榆次高新技术产业开发区", "榆次高新区", "榆次高新区"]


def test_verbs_and_designations_are_not_zone_names():
    text = "全力推动开发区高质量发展，获批省级生态文化旅游示范区，充分发挥园区作用。"
    assert all(m.prefix == "" for m in find_zone_mentions(text))
    assert extract_zones(text) == []


def test_zone_in_header_is_primary_and_others_are_mentioned_in_passing():
    text = "近日，阳泉经济技术开发区考察团来到孝义经济开发区，双方就合作进行交流。孝义经济开发区介绍了经验。"
    zones = extract_zones(text, headers=("阳泉经济技术开发区",))
    by_name = {z.canonical: z for z in zones}
    assert by_name["阳泉经济技术开发区"].primary is True
    assert by_name["孝义经济开发区"].primary is False


def test_most_mentioned_zone_is_primary_without_header():
    text = "太原武宿综合保税区外贸增长。武宿综合保税区进出口额创新高，忻州经济开发区也有增长。"
    primary = [z for z in extract_zones(text) if z.primary]
    assert [z.canonical for z in primary] == ["太原武宿综合保税区"]
    assert primary[0].mention == "武宿综合保税区" and primary[0].type == "综合保税区"


def test_park_named_inside_a_zone():
    text = "项目位于介休经济技术开发区新材料产业园内。"
    mentions = names(text)
    assert mentions == ["介休经济技术开发区", "新材料产业园"]


def test_bare_abbreviation_joins_the_named_zone():
    text = "长治高新区召开大会。会上，高新区负责人作了报告。"
    zones = extract_zones(text)
    assert len(zones) == 1 and zones[0].mention == "长治高新区"


def test_bare_reform_zone_stands_alone():
    zones = extract_zones("综改区新能源招商中心组织了签约大会。")
    assert [z.mention for z in zones] == ["综改区"]
    assert zones[0].type == "综合改革示范区"


def test_header_only_zone_keeps_the_header_as_evidence():
    zones = extract_zones("会议强调，要狠抓项目建设。", headers=("清徐经济开发区",))
    assert zones[0].canonical == "清徐经济开发区" and zones[0].evidence == "清徐经济开发区"


def test_long_official_names_and_counted_zones():
    text = "记者从晋中国家农业高新技术产业示范区获悉，来自93家开发区的代表参加培训。"
    zones = extract_zones(text, headers=("晋中国家农业高新区经济稳中有进",))
    assert [(z.canonical, z.primary) for z in zones] == [("晋中国家农业高新技术产业示范区", True)]


def test_place_name_starts_after_a_verb_inside_a_long_run():
    text = "同时，考察人员还走进宁波经济技术开发区、嘉善经济技术开发区学习。"
    assert names(text) == ["宁波经济技术开发区", "嘉善经济技术开发区"]


def test_descriptive_prefixes_are_not_zone_names():
    text = "打造花园式产业园区，建设生态型园区。"
    assert all(m.prefix == "" for m in find_zone_mentions(text))


def test_operating_parks_named_with_chanyeyuan_are_zones_but_parks_being_built_are_not():
    text = ("以青岚光电产业园、华泰智造产业园为支撑，做强镁基循环产业园。"
            "同时开工建设高端铸造产业园，打造新能源装备产业园，推进物流产业园项目。")
    found = names(text)
    assert {"青岚光电产业园", "华泰智造产业园", "镁基循环产业园"} <= set(found)
    assert not {n for n in found if n.startswith(("高端铸造", "新能源装备", "物流"))}


def test_an_area_after_its_zone_makes_one_name_and_is_not_found_alone():
    from kaifaqu_llm.extract.rules.zones import find_zone_mentions

    text = "中国(东海)自由贸易试验区云台片区挂牌。云台片区新增企业。"
    assert [m.text for m in find_zone_mentions(text) if m.prefix] == ["自由贸易试验区云台片区", "云台片区"]
    assert not [m for m in find_zone_mentions("建设生活居住片区、滨河商业片区。") if m.prefix]


def test_a_count_measure_word_and_a_place_with_a_function_character():
    from kaifaqu_llm.extract.rules.zones import find_zone_mentions

    assert not [m for m in find_zone_mentions("全国46个申报园区之一") if m.prefix]
    assert [m.text for m in find_zone_mentions("批准设立国家级和龙边境经济合作区。") if m.prefix] == ["和龙边境经济合作区"]


def test_a_place_whose_name_starts_with_yuan_is_no_former_name():
    # 原 opens the place 原平 (and closes 太原): only 原 set off by a function word means "formerly"
    assert [m.text for m in find_zone_mentions("原平经济技术开发区今年新开工项目15个。")] == ["原平经济技术开发区"]
    assert [m.text for m in find_zone_mentions("太原武宿综合保税区进出口增长。")] == ["太原武宿综合保税区"]
    assert [m.text for m in find_zone_mentions("新区由原滁州沿江经济技术开发区整合而成。") if m.prefix] == []


def test_two_zones_of_one_city_written_in_full_stay_two():
    zones = extract_zones("会上，大连经济技术开发区和大连太平湾经济开发区分别作了发言。")
    assert sorted(z.canonical for z in zones) == ["大连太平湾经济开发区", "大连经济技术开发区"]


def test_a_name_led_by_a_two_character_modifier_of_a_place_is_kept_whole():
    assert [m.text for m in find_zone_mentions("重庆两江新区和两个园区。")] == ["重庆两江新区"]
    assert [m.text for m in find_zone_mentions("广西凭祥综合保税区")] == ["广西凭祥综合保税区"]


def test_a_park_that_is_the_subject_of_a_project_list_stays_a_zone():
    text = "青山产业园已落地光伏、储能等5个项目。"
    assert [m.text for m in find_zone_mentions(text)] == ["青山产业园"]


def test_listed_parks_join_the_zone_they_are_listed_with_in_passing():
    text = "青山经济开发区建成了北区物流园区、滨河科技园和新城社区等配套载体。"
    zones = {z.mention: z for z in extract_zones(text)}
    assert zones["北区物流园区"].primary is False and zones["北区物流园区"].type == "工业园区"
    assert "滨河科技园" in zones and "新城社区" not in zones
    assert zones["青山经济开发区"].primary is True


def test_one_area_written_with_two_forms_of_its_zone_is_one_zone():
    zones = extract_zones("中国(广西)自由贸易试验区崇左片区管委会挂牌。崇左片区将发展跨境产业。",
                          headers=("广西自贸试验区崇左片区跨境产业合作",))
    assert len(zones) == 1 and zones[0].primary


def test_export_processing_and_bonded_logistics_zones_are_found_as_kinds_of_their_own():
    zones = {z.mention: z for z in extract_zones("青山出口加工区与北岭保税物流园区签署合作协议。")}
    assert set(zones) == {"青山出口加工区", "北岭保税物流园区"}
    assert all(z.type == "其他" for z in zones.values())
