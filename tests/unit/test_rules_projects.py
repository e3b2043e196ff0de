from kaifaqu_llm.extract.rules.events import extract_events
from kaifaqu_llm.extract.rules.projects import extract_projects
from kaifaqu_llm.core.schema import Organization


def project_names(text):
    return [p.name for p in extract_projects(text)]


def test_project_with_investment_status_and_company():
    text = "总投资8.5亿元的晋南钢铁集团有限公司智能化改造项目已于上月开工建设。"
    org = Organization(name="晋南钢铁集团有限公司", evidence=text)
    projects = extract_projects(text, [org])
    assert len(projects) == 1
    project = projects[0]
    assert project.name == "晋南钢铁集团有限公司智能化改造项目"
    assert project.investment == "8.5亿元"
    assert project.status == "开工"
    assert project.company == "晋南钢铁集团有限公司"
    assert project.evidence in text


def test_governing_verb_is_not_part_of_the_name():
    assert project_names("加快推进年产5万吨碳纤维项目建设。") == ["年产5万吨碳纤维项目"]


def test_lists_sharing_the_head_word():
    assert project_names("启动古城墙修缮、文庙修复项目。") == ["文庙修复项目", "古城墙修缮项目"]
    assert project_names("建设温泉酒店、民俗博物馆、滑雪场等项目。") == ["温泉酒店", "民俗博物馆", "滑雪场"]
    assert project_names("推进华润、国电两大光伏项目。") == ["华润光伏项目", "国电光伏项目"]


def test_generic_mentions_are_not_projects():
    text = "筛选一批重点项目，做好该项目服务，推动项目落地，持续推进好项目签约。"
    assert project_names(text) == []


def test_dated_events_with_what_happened():
    text = "5月18日下午，介休经济技术开发区与太原理工大学签署战略合作协议。"
    events = extract_events(text)
    assert [(e.date, e.what) for e in events] == [("5月18日下午", "介休经济技术开发区与太原理工大学签署战略合作协议")]
    assert events[0].evidence in text


def test_founding_dates_take_what_comes_before():
    events = extract_events("据了解，山西某某新材料有限公司成立于2022年8月，主要生产新型建材。")
    assert [(e.date, e.what) for e in events] == [("2022年8月", "山西某某新材料有限公司成立")]


def test_coarse_dates_need_an_event_verb():
    assert extract_events("2023年，全区实现营业收入50亿元。") == []
    assert [e.date for e in extract_events("2023年，园区获批省级化工园区。")] == ["2023年"]


def test_day_ranges():
    events = extract_events("去年10月24日至25日，考察团赴西安对接高校。")
    assert events[0].date == "去年10月24日至25日"


def test_facilities_being_built_are_projects_without_the_word():
    text = "今年将启动建设汾河湿地公园，新建10个乡村康养民宿，打造区域一流营商环境。"
    assert project_names(text) == ["汾河湿地公园", "乡村康养民宿"]


def test_short_brand_projects_named_again_and_again():
    text = "晶科项目启动以来进展顺利。晶科项目全部投产后，用水需求较大。重点项目加快推进。重点项目要抓好。"
    assert project_names(text) == ["晶科项目"]


def test_a_list_closed_by_a_generic_head_before_construction():
    text = "下半年将重点抓好智慧农业产业园、功能食品产业园等重大项目建设，引进正极、隔膜等上下游企业项目。"
    assert project_names(text) == ["智慧农业产业园", "功能食品产业园"]


def test_loose_months_are_dates_only_before_a_milestone():
    text = ("青川新材年产3万吨碳化硅项目进展顺利。今年2月份对接、4月份签约、8月份开工，"
            "第一条生产线将于明年二季度投产。全年1-9月份产值增长。10月份，园区气温下降。")
    events = [(e.date, e.what) for e in extract_events(text)]
    assert events == [("今年2月份", "青川新材年产3万吨碳化硅项目对接"), ("4月份", "青川新材年产3万吨碳化硅项目签约"),
                      ("8月份", "青川新材年产3万吨碳化硅项目开工"), ("明年二季度", "第一条生产线将投产")]


def test_loose_month_keeps_its_subject():
    events = extract_events("该项目预计12月投入运营，二期正在建设中。预计年底可封顶。")
    assert [(e.date, e.what) for e in events] == [("12月", "该项目预计投入运营"), ("年底", "预计可封顶")]
    assert all(e.evidence in "该项目预计12月投入运营，二期正在建设中。预计年底可封顶。" for e in events)


def test_quoted_project_name_after_its_company():
    projects = extract_projects("青岚新材“年产20万吨特种玻璃纤维生产线项目”进展顺利。")
    assert [(p.name, p.company) for p in projects] == [("年产20万吨特种玻璃纤维生产线项目", "青岚新材")]


def test_a_listed_category_closes_the_list():
    text = "加快金属钛、硫酸锰、高纯硅等补链强链项目落地上马。"
    assert project_names(text) == ["金属钛", "硫酸锰", "高纯硅"]
    assert project_names("梳理碳化硅、氮化镓、硅材料等补链强链项目清单。") == []  # not under way


def test_counted_list_of_projects_settled_in_a_park():
    text = "云杉光电、北辰科技、智能巡检机器人等18个项目已入驻园区。"
    assert project_names(text) == ["云杉光电", "北辰科技", "智能巡检机器人"]


def test_service_centre_is_a_name_and_project_as_a_modifier_is_not_a_project():
    assert project_names("规划建设颐养公寓、颐养综合服务中心等康养项目。") == ["颐养公寓", "颐养综合服务中心"]
    assert project_names("不断完善园区干部包联项目责任机制，优化重大项目审批。") == []


def test_quoted_project_name_with_a_list_inside():
    text = "青禾食品有限公司全面启动“设备更新、车间智能化改造”项目，提升产能。"
    projects = extract_projects(text)
    assert [p.name for p in projects] == ["“设备更新、车间智能化改造”项目"]
    assert projects[0].evidence == text  # the quote marks must not cut the evidence down to 项目


def test_more_facilities_being_built_or_brought_in():
    text = "加快推进铁路物流中心和口岸综试区建设，招引落地锦川固废综合利用产业园，建设汾滨美食街区，打造北方知名写生基地和摄影地。"
    assert project_names(text) == ["铁路物流中心", "锦川固废综合利用产业园", "汾滨美食街区"]


def test_a_year_naming_a_meeting_is_a_date():
    events = extract_events("这一“汾城做法”也在2022年全省项目观摩大会上，受到省领导的点名表扬。")
    assert [(e.date, e.what) for e in events] == [("2022年", "全省项目观摩大会上，受到省领导的点名表扬")]
    assert extract_events("2022年全省生产总值增长5%，获得好评。") == []


def test_a_year_naming_a_contest_won():
    events = extract_events("青河科技有限公司获2020年全国农业创新大赛山西赛区二等奖。")
    assert [(e.date, e.what) for e in events] == [("2020年", "青河科技有限公司获全国农业创新大赛山西赛区二等奖")]


def test_listed_firms_being_set_up_and_sites_being_upgraded():
    assert project_names("加快云岭光电、北辰电子等重点企业落地建设。") == ["云岭光电", "北辰电子"]
    assert project_names("推进青龙峡、白石漂流等景区提质建设。") == ["青龙峡景区提质建设", "白石漂流景区提质建设"]
    assert project_names("围绕园区管理水平、服务质量等方面提升建设。") == []


def test_a_construction_site_names_a_project_and_the_topic_of_its_milestone():
    text = "走进青峰航空维修基地三期机库建设现场，场面壮观。12月底封顶后，将形成3条生产线。施工现场一片繁忙。"
    assert project_names(text) == ["青峰航空维修基地三期机库"]
    assert [(e.date, e.what) for e in extract_events(text)] == [("12月底", "青峰航空维修基地三期机库封顶后")]


def test_project_naming_a_contest_is_no_project():
    assert project_names("青河科技获全国农业创新创业项目创意大赛二等奖，参加优秀项目路演。") == []


def test_sites_made_into_something_are_the_projects_not_the_goal():
    text = "把青龙湾康养度假区、石榴小镇等建成高标准的旅居康养基地。把招商服务工作建成品牌。"
    assert project_names(text) == ["青龙湾康养度假区", "石榴小镇"]


def test_loose_dates_that_are_spans_or_figures_are_not_events():
    text = "前三季度投产项目8个，1-9月份签约项目12个，5月份运营收入增长。"
    assert extract_events(text) == []
