import pytest

from kaifaqu_llm.extract.rules.entities import extract_organizations, extract_people


def org_names(text, spans=()):
    return [o.name for o in extract_organizations(text, spans)]


def test_company_names_end_at_their_suffix_and_start_after_function_words():
    text = "该企业与太原华润煤业有限公司、晋能控股装备制造集团签订协议，产品被北京某某科技股份有限公司采购。"
    assert org_names(text) == ["太原华润煤业有限公司", "晋能控股装备制造集团", "北京某某科技股份有限公司"]


def test_bank_branch_university_and_institute():
    text = "高新区与中国建设银行太原分行、太原理工大学、山西省煤炭地质研究院开展合作。"
    orgs = extract_organizations(text)
    assert [(o.name, o.kind) for o in orgs] == [
        ("中国建设银行太原分行", "银行"), ("太原理工大学", "高校"), ("山西省煤炭地质研究院", "科研机构"),
    ]
    assert all(o.evidence in text for o in orgs)


def test_zone_name_before_a_company_is_not_part_of_it():
    text = "在清徐经济开发区美锦氢能有限公司车间里"
    zone_start = text.index("清徐")
    assert org_names(text, ((zone_start, zone_start + len("清徐经济开发区")),)) == ["美锦氢能有限公司"]


def test_short_company_forms_need_a_name_boundary():
    text = "以华阳能源为龙头，发展新能源产业，推动生物制药、化学制药等产业，深化能源革命。"
    assert org_names(text) == ["华阳能源"]


@pytest.mark.parametrize(
    "text",
    ["县政府办公室和管委会召开会议。", "各子公司要加强管理。", "降低区内银行机构风险。", "成立平台公司。"],
)
def test_government_bodies_and_generic_mentions_are_not_organizations(text):
    assert org_names(text) == []


def test_longer_name_wins_over_its_own_short_form():
    text = "山西建龙钢铁有限公司投资建设。建龙钢铁有限公司表示。"
    assert org_names(text) == ["山西建龙钢铁有限公司"]


def test_role_then_name_then_speech_verb():
    text = "“今年我们将加快建设。”孝义经济开发区党工委书记、管委会主任孙建国介绍说。"
    people = extract_people(text)
    assert [(p.name, p.title) for p in people] == [("孙建国", "孝义经济开发区党工委书记、管委会主任")]
    assert people[0].evidence in text


def test_names_listed_after_one_role_share_it():
    text = "党工委副书记王海、管委会副主任李明、周强出席会议。"
    people = extract_people(text)
    assert [(p.name, p.title) for p in people] == [("王海", "党工委副书记"), ("李明", "管委会副主任"),
                                                   ("周强", "管委会副主任")]


def test_two_character_names_and_business_roles():
    text = "公司董事长冯勇表示，总经理钱多多带队参加。"
    assert [p.name for p in extract_people(text)] == ["冯勇", "钱多多"]


def test_bylines_and_unnamed_roles_are_not_people():
    text = "记者王波 通讯员张伦报道。项目负责人介绍，局长孙立说。"
    assert [p.name for p in extract_people(text, authors=("孙立",))] == []


def test_a_list_closed_by_a_kind_word_names_organizations():
    text = "园区引进了晋华重工、云岭光电、蓝海新材等企业，以晋华重工为龙头。"
    assert org_names(text) == ["晋华重工", "云岭光电", "蓝海新材"]


def test_products_and_single_items_before_a_kind_word_are_not_organizations():
    assert org_names("引进正极材料、隔膜等上下游企业项目。") == []
    assert org_names("实现“土地等项目、厂房等企业”。") == []


def test_verb_inside_the_run_ends_the_left_edge():
    text = "与会人员一同前往山西蓝星化工有限公司参观。"
    assert org_names(text) == ["山西蓝星化工有限公司"]


def test_title_written_after_the_name():
    people = extract_people("组建由太原理工大学孙伟院士领衔的团队，邀请王小明教授作报告。")
    assert [(p.name, p.title) for p in people] == [("孙伟", "院士"), ("王小明", "教授")]


def test_partner_frame_does_not_swallow_the_verb():
    assert org_names("开发区与太原理工大学签署合作协议，并与央视总台合作举办活动。") == ["太原理工大学", "央视总台"]


def test_think_tanks_laboratories_and_news_media_by_suffix():
    text = "活动由青禾智库承办，汾源铜材省级重点实验室参与，临河日报、古城电视台和晋阳日报河东分社进行报道。"
    assert org_names(text) == ["青禾智库", "汾源铜材省级重点实验室", "临河日报", "古城电视台", "晋阳日报河东分社"]


@pytest.mark.parametrize("text", ["建设省级重点实验室。", "成果走出实验室。", "新建国家重点实验室两个。"])
def test_laboratories_need_a_proper_name(text):
    assert org_names(text) == []


def test_new_and_big_open_brand_names_as_well_as_generic_phrases():
    text = "推动大禾集团、新川电子、北岭铜业等企业开展改造。"
    assert org_names(text) == ["大禾集团", "新川电子", "北岭铜业"]
    assert org_names("引进新型材料、大型装备等企业。") == []
    assert org_names("大唐集团参加签约，新成立公司三家，大批公司入驻。") == ["大唐集团"]


def test_a_count_of_firms_followed_by_their_names():
    text = "目前,产业园已入驻企业4家,分别是恒丰服饰、瑞乐纺织品、金梭制衣、云锦服饰,租赁厂房共计9000平米。"
    assert org_names(text) == ["恒丰服饰", "瑞乐纺织品", "金梭制衣", "云锦服饰"]


def test_unknown_items_listed_beside_known_organizations():
    text = "去年以来，华闻社、河东日报山城分社、古城电视台、西岭传播中心以及记者团先后来访。"
    assert org_names(text) == ["华闻社", "河东日报山城分社", "古城电视台"]


def test_a_list_of_one_known_name_lends_nothing():
    assert org_names("参观了青禾智库、机器人展厅、无人车间。") == ["青禾智库"]


def test_short_form_written_apart_from_the_full_name_is_kept():
    text = "深圳青柏啤酒有限公司启动技改。推动同泰轮毂、青柏啤酒等传统企业实施技改。"
    assert org_names(text) == ["深圳青柏啤酒有限公司", "同泰轮毂", "青柏啤酒"]


def test_member_role_and_names_listed_after_it():
    text = "协会成员郑远、冯小川分别就数字经济作主旨演讲。"
    assert [(p.name, p.title) for p in extract_people(text)] == [("郑远", "协会成员"), ("冯小川", "协会成员")]
    assert extract_people("各成员单位和部门要加强协作。") == []


def test_rare_surname_only_before_a_verb_of_speech():
    text = "执行董事禹晓峰介绍说：“项目进展顺利。”"
    assert [(p.name, p.title) for p in extract_people(text)] == [("禹晓峰", "执行董事")]
    assert extract_people("总经理在会上表示，要加快进度。") == []
    assert extract_people("董事长亲自介绍了产品。") == []
    assert extract_people("负责人高兴地说，订单排满了。") == []


def test_publishing_verb_before_the_role_is_not_part_of_the_title():
    text = "在《河东周刊》头版发布党委书记、管委会主任蔡文涛署名文章。"
    people = extract_people(text)
    assert [(p.name, p.title) for p in people] == [("蔡文涛", "党委书记、管委会主任")]
    assert people[0].evidence == "党委书记、管委会主任蔡文涛"


def test_a_parent_association_glued_before_a_name_is_not_part_of_it():
    assert org_names("介绍了河东学会青木智库的发展规划。") == ["青木智库"]


def test_through_before_a_broadcaster_is_not_part_of_its_name():
    assert org_names("相关报道经青川电视台播出后反响热烈。") == ["青川电视台"]


def test_a_count_of_firms_followed_by_trades_names_no_one():
    assert org_names("园区入驻企业30家，包括食品加工、装备制造、新材料等。") == []
    assert org_names("规上企业达到50家，有力支撑了工业增长。") == []


def test_products_listed_beside_known_firms_are_not_lent_the_name():
    text = "园区引进青禾科技有限公司、云岭光电有限公司、锂电池、人工智能服务机器人等项目。"
    assert org_names(text) == ["青禾科技有限公司", "云岭光电有限公司"]


@pytest.mark.parametrize("text", ["打造高端智库，服务园区发展。", "邀请专家智库参与。", "在各级电视台播出。"])
def test_descriptive_think_tanks_and_broadcasters_are_not_names(text):
    assert org_names(text) == []


def test_a_bank_named_apart_from_its_branch_is_the_branch():
    text = "园区与青川银行河东分行签约。企业负责人与青川银行开展业务交流。"
    assert org_names(text) == ["青川银行河东分行"]


def test_an_international_association_is_a_name():
    assert org_names("示范区与国际版画协会合作，吸引国际企业入驻。") == ["国际版画协会"]


def test_known_firms_stand_as_words_of_their_own():
    from kaifaqu_llm.extract.rules.known_firms import known_firm_mentions

    assert [n for n, _, _ in known_firm_mentions("签约企业有中联重科、宁德时代。")] == ["中联重科", "宁德时代"]
    assert known_firm_mentions("坚持集中建设，推进集中化管理。") == []  # 中建, 中化 inside other words
    assert known_firm_mentions("打开抖音短视频APP，搜索园区。") == []  # the product, not the firm


def test_known_firms_without_jieba_fall_back_to_punctuation(monkeypatch):
    from kaifaqu_llm.extract.rules import known_firms

    monkeypatch.setattr(known_firms, "words", lambda window: None)
    # only punctuation or a function character may touch the name: 有 does not, 、 and 。 do
    assert [n for n, _, _ in known_firms.known_firm_mentions("签约企业有中联重科、宁德时代。")] == ["宁德时代"]
    assert known_firms.known_firm_mentions("坚持集中建设。") == []
