"""The word lists and cue patterns of the formalism detectors (Chinese and English).

Stock phrases are matched as word sequences after segmentation; stock words are single words that carry
no unit-specific content on their own (intensifiers, campaign verbs and abstract nouns); function words
count neither way. Blame cues are regular expressions over the normalised text (NFKC, case-folded), run
clause by clause. Extend the lists here; the labelled sets in ``tests/engines/data`` show what a change
does (``bench/near_dup.py`` prints precision and recall).
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOCK_PHRASES: tuple[str, ...] = (
    # Chinese: political formulas and campaign boilerplate.
    "提高政治站位",
    "强化责任担当",
    "确保各项工作落到实处",
    "落到实处",
    "以钉钉子精神",
    "抓好整改落实",
    "坚持问题导向",
    "目标导向",
    "结果导向",
    "压实主体责任",
    "压紧压实",
    "四个意识",
    "四个自信",
    "两个维护",
    "两个确立",
    "三个到位",
    "一岗双责",
    "一把手",
    "走深走实",
    "落地见效",
    "落地生根",
    "以人民为中心",
    "发展思想",
    "决策部署",
    "解放思想",
    "转变观念",
    "宗旨意识",
    "初心使命",
    "全心全意为人民服务",
    "形式主义",
    "官僚主义",
    "凝聚共识",
    "坚强保障",
    "刀刃向内",
    "动真碰硬",
    "干事创业",
    "新台阶",
    "高质量发展",
    "政绩观",
    "真抓实干",
    "务求实效",
    "营商环境",
    "服务效能",
    "全面从严治党",
    "风清气正",
    "政治生态",
    "责任感",
    "使命感",
    "紧迫感",
    "时不我待",
    "忠诚干净担当",
    "永远在路上",
    "长效机制",
    "反弹回潮",
    "工作合力",
    "边查边改",
    "立行立改",
    "取信于民",
    "新发展阶段",
    "新发展理念",
    "新发展格局",
    "斗争精神",
    "斗争本领",
    "提质增效",
    "挺在前面",
    "令行禁止",
    "马上就办",
    "办就办好",
    "党建引领",
    "放管服",
    "获得感",
    "幸福感",
    "安全感",
    "主责主业",
    "急难愁盼",
    "常态化",
    "长效化",
    "制度化",
    "推诿扯皮",
    "敷衍塞责",
    "补齐短板",
    "短板弱项",
    "比学赶超",
    "争先创优",
    "守正创新",
    "开创工作新局面",
    "站稳人民立场",
    "办实事",
    "解难题",
    "担当作为",
    "对标一流",
    "争创一流",
    "不折不扣",
    "久久为功",
    "一件一件抓落实",
    "件件有着落",
    "事事有回音",
    "上下联动",
    "齐抓共管",
    "工作格局",
    "良好氛围",
    "浓厚氛围",
    "高度一致",
    "层层传导压力",
    "思想根源",
    "努力方向",
    "为契机",
    "群众满意",
    "群众关切",
    "群众期盼",
    # English renderings of the same formulas.
    "political awareness",
    "political stance",
    "make sure all work is implemented",
    "spirit of driving nails",
    "drive nails",
    "problem-oriented",
    "goal-oriented",
    "result-oriented",
    "main responsibility",
    "four consciousnesses",
    "four confidences",
    "two upholds",
    "three in-places",
    "put the people at the centre",
    "original aspiration",
    "serve the people wholeheartedly",
    "formalism and bureaucratism",
    "high-quality development",
    "new level",
    "correct view of performance",
    "business environment",
    "first-class",
    "govern the party strictly",
    "clean political ecology",
    "time waits for no one",
    "loyal, clean and responsible",
    "journey that never ends",
    "long-term mechanisms",
    "joint force",
    "joint effort",
    "new development stage",
    "new development philosophy",
    "new development pattern",
    "fighting spirit",
    "fighting skills",
    "party building",
    "sense of gain",
    "sense of responsibility",
    "work style",
    "emancipate our minds",
    "unify our thinking",
    "turn the blade inwards",
    "from top to bottom",
    "every level",
    "level by level",
    "take root",
    "uphold the core",
    "break new ground",
    "new prospects",
    "strive to be the best",
    "benchmark against the best",
    "big discussion",
    "most pressing concerns",
    "people's most pressing concerns",
    "expectations of the masses",
    "over the long term",
    "across the board",
    "in every respect",
    "great importance",
    "wholeheartedly",
    "调查研究",
    "突出问题",
    "反映强烈",
    "实事求是",
    "提档升级",
    "查漏补缺",
    "seek truth from facts",
    "in-depth research",
    "prominent problems",
    "up a grade",
    "fill gaps",
    "high standard",
    "getting things done",
)

STOCK_WORDS: frozenset[str] = _words(
    """
    进一步 切实 全面 不断 持续 深入 扎实 认真 积极 主动 着力 努力 大力 坚决 严格 更加 全力 真正 务必
    始终 坚持 加强 强化 提升 提高 增强 推动 推进 促进 确保 保障 落实 贯彻 践行 深化 优化 完善 健全
    建立健全 巩固 夯实 营造 形成 激发 弘扬 发扬 树立 树牢 牢固 把握 聚焦 突出 围绕 统筹 协调 统一 对照
    对标 检查 剖析 查找 整改 落地 见效 实效 成效 成果 水平 能力 素质 质量 效率 效能 意识 责任 担当 作风
    纪律 规矩 思想 认识 观念 精神 使命 宗旨 初心 理念 格局 氛围 合力 动力 导向 要求 标准 举措 措施 机制
    制度 体系 工作 任务 事业 各项 各级 全体 全局 重点 难点 短板 弱项 差距 不足 根源 问题 方面 层面 环节
    工作者 干部队伍 干部 队伍 群众 人民 百姓 满意 满意度 获得 发展 改革 创新 服务 营商 环境 政治 站位
    党建 引领 统领 政治能力 专业 本领 高质量 高标准 高效率 严要求 实举措 新 新局面 新成效 新台阶 新突破
    更高 更严 更实 一流 品牌 打造 构建 锻造 推进会 思想认识 自觉性 主动性 积极性 创造性 紧迫感 责任感
    使命感 事项 有效 有力 有序 扎扎实实 实实在在 常抓不懈 抓好 抓实 抓细 抓紧 压实 压紧 传导 压力 层层
    上下 齐抓共管 真抓实干 决策 部署 大讨论 活动 契机 实际 行动 转化 强大 工作作风 办事 效率 转变 基础
    整体 跃升 考核 问效 督促 督查 结果 运用 激励 鲜明 政治生态 风清气正 永远 坚韧 执着 further fully
    comprehensively continuously deeply thoroughly solidly actively resolutely strictly firmly truly
    strengthen improve raise enhance promote advance ensure guarantee implement implemented
    implementation deepen optimise optimising consolidate build forge foster establish uphold carry
    forward focus highlight coordinate unify rectify rectification rectified rectifying responsibility
    responsibilities awareness accountability spirit mission style discipline quality efficiency
    effectiveness level levels capabilities abilities ability mechanism mechanisms system task tasks
    work all every overall whole various keep continue achieve achieved results result new higher high-
    quality standards requirements measures solid practical real effective effectively atmosphere
    consensus guarantee foundation development reform innovation service services masses people's people
    satisfaction satisfy satisfied thinking ideological understanding importance leadership
    organisational supervision inspection orientation priorities difficulties gaps shortcomings
    weaknesses strive striving excellent excellence first-class brand major key important great strong
    powerful force quickly deliver delivers lasting regular institutionalised long-term cadre cadres
    team political professional proactive conscious consciousness ensure sure make made research in-
    depth prominent orientation clear environment capability target targets standard requirement
    """
)

FUNCTION_WORDS: frozenset[str] = _words(
    """
    的 地 得 了 着 和 与 及 以及 并 并且 或 而 在 对 把 将 以 为 于 从 向 由 被 让 使 给 到 上 中 下 里
    之 其 这 那 此 各 每 是 有 也 都 又 还 就 才 要 会 能 可 可以 应 应当 做到 做 上来 起来 下去 去 来
    等 等等 一个 一些 我们 我 你 the a an and or of to in on at for with by from as into onto over under
    our we us their they them its it is are be been was were this that these those which who whom so
    such than then there here not no both each other more most very also again all any can will would
    should must shall let do does did has have had up
    """
)


def _patterns(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


_CN = r"[^，。；;,.]"
# Outward causes, by kind. Over normalised (case-folded) text, one clause at a time.
BLAME_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, pattern)
    for kind, patterns in (
        (
            "higher_level",
            _patterns(
                rf"(上级|上面|省里|市里|县里|国家|中央|省级|市级|县级|省直|市直){_CN}{{0,10}}"
                r"(政策|资金|支持|指导|培训|下达|下放|审批|权限|文件|会议|检查|考核|任务|要求|指标|统筹|分配|督察|"
                r"加码|一刀切|配备|配套|时间|部门|系统|平台)",
                r"省(级|政务服务)?(平台|系统)",
                r"(尚未|未|迟迟未|迟迟没有)(获批|批复|下达|下放)|需(省级|市级|上级|省|市)(层面)?(统筹|协调|解决)",
                r"(权限|审批权)(仍|还|都)?在(省|市|县|上级)",
                r"层层(上报|加码)|只能(层层)?上报|无权(调整|决定|审批)",
                r"由(省里|市里|县里|上级|国家|省级|市级)(统一)?(分配|制定|统筹|决定|管理)",
                r"上届政府|前任",
                r"\b(higher|upper|superior)[- ](levels?|authorities|departments?|government)\b",
                r"\bfrom above\b|\bone-size-fits-all\b|"
                r"\bthe (city|province|centre|county) (sets|set|decides|allocates)\b",
                r"\b(provincial|national|central|municipal)\b[^.;,]{0,30}\b(funds?|policies|policy|system|quotas?|"
                r"platform|inspections?)\b",
                r"\b(funds?|quotas?|policies|platform|system|power|rates?)\b[^.;,]{0,30}\b(province|city|centre)\b",
                r"\bprevious government\b|\bcity departments?\b",
                r"\ballocated by\b|\bset by the\b|\bsits with\b|\bdelegated to us\b|\bpass files upwards\b",
                r"\bfrom the (centre|province|city)\b|"
                r"\bthe (county|city|province) (never|did not|has not|gave)\b",
                r"\bonly the (city|province|county|centre|central government) can\b|"
                r"\bcross-(district|region|regional|county)\b|"
                r"\b(has|have) not (yet )?(approved|issued|delegated|allocated)\b",
            ),
        ),
        (
            "other_units",
            _patterns(
                rf"(相关|有关|其他|兄弟|协作|配合)(部门|单位){_CN}{{0,8}}(配合|支持|协同|衔接|共享|积极|不力|不够|迟迟|推诿)",
                r"(公安|民政|税务|银行|供电|燃气|电力|通信|公用企业|第三方|中介|施工单位|监理单位|开发商|设计单位|"
                r"检测机构|垂直管理|兄弟单位|物业|(水务|自来水|供水|供热|热力|环卫|通信)公司)",
                r"非(我|本)(局|单位|部门)?(的)?职责|不属于(我|本)|职责范围(之)?外",
                r"\b(other|sister|relevant|partner) (departments?|agencies|units|bureaux|bureaus)\b",
                r"\b(power|gas|water|utility) compan(y|ies)\b|\bbanks?\b|\bcontractor\b|\bdeveloper\b|"
                r"\bintermediar(y|ies)\b|\bthird-party\b|\bdesign institute\b|\bvertically managed\b|"
                r"\bsupervising engineer\b|\bpolice\b|\bproperty management\b|"
                r"\boutside our (remit|responsibility)\b|"
                r"\bnot our (responsibility|job)\b",
            ),
        ),
        (
            "public",
            _patterns(
                r"(群众|村民|居民|商户|家长|企业主|个别企业|申请人|服务对象|办事人|市场主体|部分企业|企业)"
                rf"{_CN}{{0,10}}(意识|素质|观念|配合度|不配合|理解|不支持|积极性不高|期望值?过高|不熟悉|习惯|不规范|"
                r"不真实|误解|淡薄|落后|陈旧|不理解|意见难统一|难统一|认识不足|不了解|不愿|不主动|不会用)",
                r"流动人口|留守老人|外出务工",
                r"\b(villagers|residents|the public|applicants|enterprises|parents|shop owners|employers|"
                r"firms)\b[^.;]{0,40}\b(awareness|do not cooperate|don't cooperate|misunderstand|"
                r"expect too much|not familiar|conservative|false information|incomplete|do not support|"
                r"no respect|do not accept|do not understand|"
                r"don't understand|(are )?unaware|not aware|do not apply|refuse|are unwilling)",
                r"\bfloating population\b|\byoung people work elsewhere\b|\bwork elsewhere\b",
            ),
        ),
        (
            "objective",
            _patterns(
                r"客观(原因|条件|因素|现实|实际)|历史遗留|遗留问题|政策遗留|地处(偏远|山区)|偏远山区|交通不便|"
                r"基础(设施)?薄弱|财力(有限|薄弱|紧张)|财政(收入有限|紧张|拨款不及时)|收入有限",
                r"资金(不足|短缺|紧张|缺口|到位慢|到位晚|下达晚|下达较晚|链断裂)|编制不足|人员编制|人手(不足|紧张)|"
                r"人才(缺乏|匮乏)|引不来|留不住|疫情|天气原因|降雨|经济下行|宏观经济|国际市场|地质条件|"
                r"受.{0,10}(影响|限制|制约)|年龄偏大|文化程度偏低|额度有限|指标不足|不符合.{0,4}实际|原因造成|产权复杂|"
                r"(缺少|缺乏)(高校|科研|资源|产业|人才|资金|土地|项目|支撑|条件)|先天不足|价格上涨|成本上升|"
                r"政策(限制|不允许|不明确|不配套|滞后)|法律法规(不健全|滞后|空白)|编制(限制|所限|有限)",
                r"\bobjective (conditions|reasons|factors)\b|\bhistorical\b|\bearlier years\b|\bremote\b|"
                r"\bmountainous\b|\bpandemic\b|\brain\b|\bweather\b|\beconomic downturn\b|\bmacroeconomic\b|"
                r"\binternational markets?\b|\bgeology\b|\btoo poor\b|\blimited (fiscal|funds|revenue|quota)|"
                r"\bfunding gap\b|\bquota is limited\b|\black staff\b|\btoo few (posts|staff)\b|"
                r"\bstaff shortage\b|"
                r"\b(funds?|funding|allocations?|money)\b[^.;,]{0,20}\b(late|delayed|ran out)\b|"
                r"\bold and poorly educated\b|\bsimply the reality\b|\bcomplicated\b|\bthe reality\b|"
                r"\b(rising|higher) (raw )?(material )?(prices|costs)\b|\bprices? (rose|rising|went up)\b|"
                r"\bwithout (universities|resources|industry|funding|investment)\b|\bcannot attract\b|"
                r"\bstaffing (limits?|shortage|quotas?)\b|\bunderstaffed\b|\bregulations do not allow\b|"
                r"\bno legal basis\b",
                # A constraint stated as beyond the unit's reach ("只能劝阻", "cannot be approved"): outward
                # unless the same clause names the unit's own part.
                r"无法|难以|只能|不能|无力|无权|束手无策|无能为力|难度(极|很|较)?大|积重难返",
                r"\b(cannot|can't|can only|unable|impossible|no way|little effect|extremely difficult)\b",
            ),
        ),
    )
    for pattern in patterns
)

# The unit's own part. A clause with one of these counts inward, whatever else it names.
OWN_CUES: tuple[re.Pattern[str], ...] = _patterns(
    r"(我局|本局|我委|我办|我中心|我所|我镇|我街道|我们|本单位|本部门|本级|局机关|局领导|局属|领导班子|班子成员|党组|"
    r"自身|主观|窗口(工作)?人员|工作人员|干部)"
    rf"{_CN}{{0,14}}(不到位|不够|不足|不强|不严|不实|不深|不透|不高|不及时|不规范|不合理|不熟|滞后|缺位|随意|推诿|"
    r"推脱|敷衍|拖|少|流于形式|重.{1,4}轻|没有|未|差错|出错|错误|失误|偏差|超标准|办私事|不主动|放任|力度)",
    r"思想认识不到位|担当(精神|意识)不(足|强)|作风(不实|漂浮)|服务意识(不强|淡薄)|宗旨意识|监管不严|监管缺位|"
    r"承接不到位|准备不(足|充分)|前期(准备|论证)不|统筹协调不力|学习不深|调查研究不深入|重部署轻落实|等靠要|"
    r"敷衍了事|简单答复|随意增加|自由裁量|同案不同罚|流于形式|没有落实|未严格执行|指导不到位|统筹指导不够|"
    r"引导服务不到位|宣传解读不到位|走访少|下沉一线少|没有先例|没有充分征求|没有建立|不够主动|"
    # Self-criticism of complacency: "满足于完成上级下达的指标" is about the unit, not the level above.
    r"满足于|安于现状|习惯于|"
    # "服务市场主体意识不强": the unit's own awareness of serving, whoever it serves.
    rf"服务{_CN}{{0,6}}意识(不强|淡薄|不足|不够)",
    r"\b(we|our (bureau|centre|office|station|staff|officials|leadership|team|town|inspections|replies|"
    r"website|enforcement|tender|own))\b[^.;]{0,40}\b(did not|didn't|have not|haven't|had not|failed|fail|"
    r"poor|poorly|"
    r"weak|rarely|seldom|not proactive|perfunctory|misread|loosely|not enough|not thorough|out of date|"
    r"not been|not standardised|unreasonable|exceeded|late because|slowly|relied|focus on|coordinate poorly)",
    r"\b(window|counter|insurance counter) staff\b|\b(our|window) staff (sometimes|do not|have a poor)\b|"
    r"\bstaff sometimes\b|"
    r"\bmembers of the leading team\b|\bleading officials\b|\bsome (of our )?(staff|officials)\b|"
    r"\bunits under the bureau\b|\bparty group\b|\bthe bureau's leadership\b|\bour own\b",
)
STRONG_OWN_CUES: tuple[re.Pattern[str], ...] = _patterns(
    r"(主要|根本)?(原因|根源)(主要)?(在于|是)(我|自身|本|我们)",
    r"(我们|我局)(部门间)?内部",
    r"(我们|我局|我单位|自身)[^，。；]{0,20}(才是|是)(问题的)?(主要|根本)原因",
    r"\bthe main reason is that (we|our)\b|\bbecause (we|our)\b[^.;]{0,30}\b(were|was|had|did|have)\s+not\b",
    r"\bbecause we\b",
)
