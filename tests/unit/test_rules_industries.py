from kaifaqu_llm.extract.rules.industries import extract_industries


def names(text):
    return [i.name for i in extract_industries(text)]


def test_items_of_a_leading_industry_list():
    text = "示范区聚焦文化旅游、新能源、农产品加工三大主导产业，谋划储备项目66个。"
    found = extract_industries(text)
    assert [i.name for i in found] == ["文化旅游", "新能源", "农产品加工"]
    assert all(i.evidence in text for i in found)


def test_cluster_lists_and_verbs_before_the_first_item():
    text = "目前已初步形成电子信息制造业、信创产业、软件服务业三大数字经济产业集群。"
    assert names(text) == ["电子信息制造业", "信创", "软件服务业"]


def test_single_industry_after_a_development_verb():
    assert names("园区重点发展以华阳药业为龙头的现代医药产业。") == ["现代医药"]


def test_lists_not_called_leading_industries_are_ignored():
    assert names("引进森林徒步、林间瑜伽、林下露营等活动，培育运动康养产业新兴业态。") == []


def test_list_starts_after_the_last_verb_and_ascii_commas_end_clauses():
    text = "仪式上,甲乙丙等项目签约,涵盖智能网联、冷链物流、跨境电商等业态。"
    assert names(text) == ["智能网联", "冷链物流", "跨境电商"]


def test_a_list_with_a_clause_in_it_is_dropped_whole():
    assert names("贯彻落实省委、省政府关于重点产业的部署。") == []
