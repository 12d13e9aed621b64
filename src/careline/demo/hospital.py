"""The fictional demo hospital: profile, departments, doctors' names and texts."""

from __future__ import annotations

from datetime import date

from careline.directory.model import Article, FaxDocument, Hospital, VisitInstruction

HOSPITAL = Hospital(
    name_zh="示范市第一人民医院",
    name_en="Demo City First People's Hospital",
    address_zh="示范市健康区人民路 100 号",
    address_en="100 Renmin Road, Jiankang District, Demo City",
    main_phone="+86 10 5555 0100",
    website="https://hospital.example.org",
    introduction_zh=(
        "示范市第一人民医院是一所集医疗、教学、科研、预防保健于一体的虚构三级甲等综合医院，"
        "开放床位 1200 张，设临床科室 30 余个。本院信息仅用于 Careline 演示。"
    ),
    introduction_en=(
        "Demo City First People's Hospital is a fictional tertiary general hospital with"
        " 1,200 beds and more than 30 clinical departments. Its details exist only to"
        " demonstrate Careline."
    ),
)

# (name_zh, name_en, parent name_zh or "", location, specialties zh, specialties en)
DepartmentRow = tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]]

DEPARTMENTS: tuple[DepartmentRow, ...] = (
    (
        "内科",
        "Internal Medicine",
        "",
        "门诊楼 2 层",
        ("内科常见病", "慢病管理"),
        ("Common internal conditions", "Chronic disease care"),
    ),
    (
        "心血管内科",
        "Cardiology",
        "内科",
        "门诊楼 2 层 A 区",
        ("高血压", "冠心病", "心律失常", "心力衰竭"),
        ("Hypertension", "Coronary heart disease", "Arrhythmia", "Heart failure"),
    ),
    (
        "消化内科",
        "Gastroenterology",
        "内科",
        "门诊楼 2 层 B 区",
        ("胃炎与溃疡", "肝病", "炎症性肠病", "消化内镜"),
        ("Gastritis and ulcers", "Liver disease", "Inflammatory bowel disease", "Endoscopy"),
    ),
    (
        "呼吸内科",
        "Respiratory Medicine",
        "内科",
        "门诊楼 2 层 C 区",
        ("哮喘", "慢阻肺", "肺部感染", "肺结节"),
        ("Asthma", "COPD", "Lung infections", "Pulmonary nodules"),
    ),
    (
        "内分泌科",
        "Endocrinology",
        "内科",
        "门诊楼 2 层 D 区",
        ("糖尿病", "甲状腺疾病", "骨质疏松"),
        ("Diabetes", "Thyroid disease", "Osteoporosis"),
    ),
    (
        "神经内科",
        "Neurology",
        "内科",
        "门诊楼 3 层 A 区",
        ("脑血管病", "头痛", "帕金森病", "癫痫"),
        ("Cerebrovascular disease", "Headache", "Parkinson's disease", "Epilepsy"),
    ),
    (
        "外科",
        "General Surgery",
        "",
        "门诊楼 4 层 A 区",
        ("甲状腺与乳腺外科", "疝", "胆囊疾病"),
        ("Thyroid and breast surgery", "Hernia", "Gallbladder disease"),
    ),
    (
        "骨科",
        "Orthopaedics",
        "外科",
        "门诊楼 4 层 B 区",
        ("关节外科", "脊柱外科", "运动损伤", "创伤骨科"),
        ("Joint surgery", "Spine surgery", "Sports injuries", "Trauma"),
    ),
    (
        "泌尿外科",
        "Urology",
        "外科",
        "门诊楼 4 层 C 区",
        ("泌尿系结石", "前列腺疾病"),
        ("Urinary stones", "Prostate disease"),
    ),
    (
        "妇产科",
        "Obstetrics and Gynaecology",
        "",
        "妇儿楼 2 层",
        ("产前检查", "妇科肿瘤", "月经病", "不孕症"),
        ("Antenatal care", "Gynaecological oncology", "Menstrual disorders", "Infertility"),
    ),
    (
        "儿科",
        "Paediatrics",
        "",
        "妇儿楼 1 层",
        ("儿童呼吸病", "新生儿", "生长发育", "小儿消化"),
        (
            "Children's respiratory illness",
            "Newborns",
            "Growth and development",
            "Children's digestion",
        ),
    ),
    (
        "眼科",
        "Ophthalmology",
        "",
        "门诊楼 5 层 A 区",
        ("白内障", "青光眼", "眼底病", "儿童近视"),
        ("Cataract", "Glaucoma", "Retinal disease", "Childhood myopia"),
    ),
    (
        "耳鼻喉科",
        "Otorhinolaryngology (ENT)",
        "",
        "门诊楼 5 层 B 区",
        ("鼻炎鼻窦炎", "咽喉疾病", "耳聋耳鸣"),
        ("Rhinitis and sinusitis", "Throat disease", "Hearing loss and tinnitus"),
    ),
    (
        "口腔科",
        "Stomatology (Dental)",
        "",
        "门诊楼 5 层 C 区",
        ("牙体牙髓", "口腔修复", "牙周病", "儿童口腔"),
        ("Endodontics", "Prosthodontics", "Periodontics", "Children's dentistry"),
    ),
    (
        "皮肤科",
        "Dermatology",
        "",
        "门诊楼 3 层 B 区",
        ("湿疹皮炎", "痤疮", "银屑病", "过敏性皮肤病"),
        ("Eczema and dermatitis", "Acne", "Psoriasis", "Allergic skin disease"),
    ),
    (
        "中医科",
        "Traditional Chinese Medicine",
        "",
        "门诊楼 6 层",
        ("中医内科", "针灸推拿", "中医调理"),
        ("TCM internal medicine", "Acupuncture and massage", "TCM wellness"),
    ),
    (
        "急诊科",
        "Emergency Department",
        "",
        "急诊楼 1 层（24 小时）",
        ("急危重症", "创伤急救", "中毒救治"),
        ("Critical care", "Trauma care", "Poisoning"),
    ),
)

EMERGENCY = "急诊科"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强俊峰文博宇轩浩然子涵欣怡梓萱雨桐"
    "思远晨阳嘉怡一诺佳琪浩宇雅婷婉清睿哲子墨天佑诗涵若曦逸凡书瑶昊天梓豪紫琪新宇嘉乐晓东海燕红梅丽娟春生"
)

ARTICLES: tuple[Article, ...] = (
    Article(
        title="冬季如何预防流感",
        body=(
            "流感高发季节，请注意以下几点：\n"
            "1. 接种流感疫苗是最有效的预防手段，建议 60 岁以上老人、慢性病患者和儿童每年接种。\n"
            "2. 勤洗手，咳嗽或打喷嚏时用纸巾或肘部遮挡口鼻。\n"
            "3. 出现发热、咳嗽等症状时及时就医，必要时在医生指导下使用抗病毒药物。"
        ),
        language="zh-CN",
        published_on=date(2026, 11, 2),
        tags=("流感", "预防"),
    ),
    Article(
        title="高血压患者的日常管理",
        body=(
            "高血压需要长期管理：每日限盐不超过 5 克，规律运动，戒烟限酒，保持体重。\n"
            "家庭自测血压应在早晚各测一次并记录，按时服药，不要因血压正常而自行停药。"
        ),
        language="zh-CN",
        published_on=date(2026, 10, 18),
        tags=("高血压", "慢病管理"),
    ),
    Article(
        title="儿童近视防控小贴士",
        body=(
            "每天户外活动 2 小时以上，读写时保持“一尺、一拳、一寸”，"
            "连续用眼 40 分钟后休息 10 分钟。建议每半年到眼科检查一次屈光状态。"
        ),
        language="zh-CN",
        published_on=date(2026, 9, 1),
        tags=("近视", "儿童"),
    ),
    Article(
        title="Preventing the flu in winter",
        body=(
            "Get the flu vaccine every year, especially if you are over 60, live with a"
            " chronic illness, or care for young children. Wash your hands often and see a"
            " doctor early if you develop a fever and cough."
        ),
        language="en",
        published_on=date(2026, 11, 2),
        tags=("flu", "prevention"),
    ),
    Article(
        title="Living well with high blood pressure",
        body=(
            "Keep salt under 5 g a day, stay active, stop smoking and take your medicine every"
            " day, even when your readings look normal. Measure your blood pressure at home"
            " morning and evening and bring the record to your visits."
        ),
        language="en",
        published_on=date(2026, 10, 18),
        tags=("hypertension",),
    ),
)

INSTRUCTIONS: tuple[VisitInstruction, ...] = (
    VisitInstruction(
        title="预约与取号",
        body=(
            "本院实行实名制预约挂号，可通过电话、网站或现场窗口预约 7 天内号源。"
            "就诊当日请携带身份证或医保卡，提前 30 分钟到自助机或窗口取号。"
        ),
        sort_order=1,
    ),
    VisitInstruction(
        title="退号与爽约",
        body=(
            "如需退号，请在就诊前一日 17:00 前办理。迟到 30 分钟以上视为爽约，"
            "累计爽约 3 次将暂停预约资格 3 个月。"
        ),
        sort_order=2,
    ),
    VisitInstruction(
        title="交通与停车",
        body=(
            "地铁 2 号线人民路站 B 口步行 5 分钟；"
            "院内停车场位于急诊楼北侧，车位紧张请尽量公共交通出行。"
        ),
        sort_order=3,
    ),
    VisitInstruction(
        title="Booking and check-in",
        body=(
            "Appointments are booked under the patient's real name, up to 7 days ahead, by"
            " phone, on the web or at the registration windows. Bring your ID card or medical"
            " insurance card and check in 30 minutes early."
        ),
        language="en",
        sort_order=1,
    ),
    VisitInstruction(
        title="Cancelling and missed visits",
        body=(
            "Cancel before 17:00 on the day before your visit. Arriving more than 30 minutes"
            " late counts as a missed visit; three missed visits suspend booking for 3 months."
        ),
        language="en",
        sort_order=2,
    ),
)

DOCUMENTS: tuple[FaxDocument, ...] = (
    FaxDocument(
        code="101",
        title="门诊就诊须知",
        body="\n".join(i.body for i in INSTRUCTIONS if i.language == "zh-CN"),
    ),
    FaxDocument(
        code="102",
        title="体检前注意事项",
        body="体检前一日晚 8 点后禁食，当日晨起空腹抽血；携带既往病历；女性避开月经期。",
    ),
    FaxDocument(
        code="103",
        title="住院须知与所需材料",
        body="办理住院请携带身份证、医保卡、住院证；病区实行陪护证管理，每位患者限一名陪护。",
    ),
    FaxDocument(
        code="201",
        title="病历复印申请表",
        body=(
            "病历复印申请表\n患者姓名：________ 住院号：________\n"
            "申请人：________ 与患者关系：________\n复印用途：□保险理赔 □转诊 □其他"
        ),
    ),
)
