import pytest

from kaifaqu_llm.extract.rules.indicators import extract_indicators


def only(text, **kw):
    found = extract_indicators(text, **kw)
    assert len(found) == 1, found
    return found[0]


def test_money_with_period_change_and_name_before_the_number():
    text = "2023年前三季度，全区规模以上工业增加值完成86.5亿元，同比增长12.3%。"
    ind = only(text)
    assert (ind.value, ind.unit) == (86.5, "亿元")
    assert ind.name == "规模以上工业增加值"
    assert ind.period == "2023年前三季度"
    assert ind.change == "同比增长12.3%"
    assert ind.evidence in text and "86.5亿元" in ind.evidence and "12.3%" in ind.evidence


@pytest.mark.parametrize(
    ("text", "value", "unit", "approx"),
    [
        ("园区已入驻企业30余家。", 30, "余家", "余"),
        ("每年吸纳就业1.5万余人。", 1.5, "万余人", "余"),
        ("共引进高层次人才近200人。", 200, "人", "近"),
        ("建成标准化厂房约12万平方米。", 12, "万平方米", "约"),
        ("光伏组件产能达到5GW。", 5, "GW", None),
        ("新增耕地三百亩。", 300, "亩", None),
    ],
)
def test_number_unit_grammar(text, value, unit, approx):
    ind = only(text)
    assert (ind.value, ind.unit, ind.approx) == (value, unit, approx)
    assert ind.evidence in text


def test_counted_things_take_the_noun_after_the_number():
    found = extract_indicators("今年以来，新引进28家企业和6个研发平台。")
    assert [(i.value, i.unit, i.name) for i in found] == [(28, "家", "企业"), (6, "个", "研发平台")]
    assert all(i.period == "今年以来" for i in found)


def test_enumeration_gives_each_figure_its_own_name():
    found = extract_indicators("现有省级重点实验室2家、博士工作站3个。")
    assert [(i.name, i.value) for i in found] == [("省级重点实验室", 2), ("博士工作站", 3)]


@pytest.mark.parametrize(
    "text",
    ["第3期培训班开班。", "10号楼已封顶。", "道路宽15米。", "用时2个多月完成。", "会议于2024年5月召开。",
     "一是抓好项目。"],
)
def test_ordinals_dimensions_dates_and_durations_are_not_indicators(text):
    assert extract_indicators(text) == []


def test_project_investment_is_left_to_the_project():
    text = "该项目总投资15亿元，年产值20亿元。"
    found = extract_indicators(text)
    assert [(i.name, i.value, i.unit) for i in found] == [("年产值", 20, "亿元")]


def test_ranking_becomes_a_first_place():
    text = "上半年，地区生产总值增速排全省第一。"
    found = [i for i in extract_indicators(text) if i.unit == "名"]
    assert len(found) == 1
    assert found[0].value == 1 and "排名" in found[0].name and found[0].evidence in text


def test_subject_is_stripped_from_the_name_and_kept_as_subject():
    ind = only("朔州经济开发区固定资产投资增长迅速，朔州经济开发区税收收入达3.2亿元。",
               subject="朔州经济开发区", subjects=("朔州经济开发区",))
    assert ind.subject == "朔州经济开发区" and ind.name == "税收收入"


def test_counts_of_things_being_built_are_the_projects_size_not_indicators():
    assert extract_indicators("今年新建8个智慧停车场。") == []
    assert [i.value for i in extract_indicators("今年新建项目13个。")] == [13]


def test_zone_investment_is_an_indicator_even_near_a_project():
    text = "坚持项目为王，固定资产投资完成42亿元，达产后可实现年产值30亿元。"
    found = extract_indicators(text)
    assert [(i.name, i.value) for i in found] == [("固定资产投资", 42), ("年产值", 30)]


def test_two_figures_ranked_together_each_get_a_ranking():
    text = ("前三季度，共完成工业投资8.2亿元，同比增长30.5%；规模以上工业增加值完成1.9亿元，同比增长9.1%，"
            "分别位居全市工业类园区第一和第三位。")
    ranks = [(i.name, i.value) for i in extract_indicators(text) if i.unit == "名"]
    assert ranks == [("工业投资全市工业类园区排名", 1), ("规模以上工业增加值全市工业类园区排名", 3)]


def test_arranging_the_fourth_quarter_is_not_a_ranking():
    assert [i for i in extract_indicators("会议总结前三季度工作，并安排部署第四季度工作。") if i.unit == "名"] == []


def test_a_share_is_named_after_its_part_and_whole():
    text = "今年累计完成产值9.6亿元，占青川经开区工业总产值的55%以上。"
    found = extract_indicators(text, subject="青川经开区", subjects=("青川经开区",))
    assert [(i.name, i.value) for i in found] == [("产值", 9.6), ("产值占工业总产值比重", 55)]


def test_investment_summed_over_counted_projects_is_the_zones():
    text = "新引进锦川能源、云台玻纤等18个重大项目，投资额860亿元。"
    assert [(i.name, i.value) for i in extract_indicators(text)] == [("重大项目", 18), ("投资额", 860)]
    text = "其中：10亿元以上项目4个，完成投资7.2亿元。"
    assert [(i.value, i.unit) for i in extract_indicators(text)][-1] == (7.2, "亿元")


def test_slogans_in_quotes_are_not_counts():
    assert extract_indicators("深入开展“五个一”全代办服务，落实“三个抓手”。") == []


def test_per_person_per_day_is_not_part_of_the_name():
    ind = only("投产后，缝纫环节劳动效率可达每人每天31件左右。")
    assert (ind.name, ind.value, ind.unit) == ("缝纫环节劳动效率", 31, "件左右")


def test_big_n_counts_main_businesses_and_formats():
    found = extract_indicators("聚焦航空维修和跨境贸易两大主业，培育“山水游”“古镇游”文旅三大业态。")
    assert [(i.value, i.unit) for i in found] == [(2, "大"), (3, "大")]


def test_an_area_before_a_place_is_that_places_area():
    found = extract_indicators("全力打造300万平米的青川智造集聚区。")
    assert [(i.name, i.value, i.unit) for i in found] == [("青川智造集聚区面积", 300, "万平米")]
    ind = only("项目占地面积86亩。")
    assert ind.name == "占地面积"


def test_a_one_character_counted_noun_names_the_count():
    found = extract_indicators("在3个乡镇、17个村规划建设了写生点。")
    assert [(i.name, i.value) for i in found] == [("乡镇", 3), ("村数量", 17)]


def test_investment_spread_over_a_list_of_works_is_the_zones():
    text = "做实项目落地保障。投资45亿元加强道路、管网、配套设施等硬件建设，实现拎包入住。"
    assert [(i.name, i.value) for i in extract_indicators(text)] == [("道路、管网、配套设施等硬件建设投资", 45)]
    assert extract_indicators("该项目投资45亿元，建设生产线。") == []


def test_a_quoted_term_right_before_the_figures_names_them():
    found = extract_indicators("全区共供应建设用地23宗，其中“标准地”12宗430.5亩。")
    assert [(i.name, i.value, i.unit) for i in found][1:] == [("标准地", 12, "宗"), ("标准地", 430.5, "亩")]
