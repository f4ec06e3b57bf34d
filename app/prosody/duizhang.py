"""对仗 (parallelism) hints for 律诗 颔联/颈联 (meter-spec §6).

Automatic judgement can only be heuristic, so this never reports an error. Each
position of a couplet compares the two characters with a small hand-made lexicon:
a fine semantic class for nouns (天文, 地理, 时令, 植物, 动物, 人伦, 身体, 器物,
宫室), and a coarse word class for everything (名 noun, 动 verb, 形 adjective,
数 number, 方 direction, 色 colour, 虚 function word).

Per position: the same character facing itself (not as 叠字) scores 0; 叠字
must face 叠字; the same fine class scores 1; the same coarse class ¾;
related classes (数/形/色, 方/动, 动/形) ½; a character the lexicon does
not know ½ (the benefit of the doubt); anything else 0. The couplet's score is
the mean; under 0.5 a hint names the weak positions. The scorer's 对仗
component is this same score.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.prosody.findings import Finding, Rule, Severity
from app.prosody.forms import Form
from app.prosody.text import TextLine

if TYPE_CHECKING:
    from app.prosody.books.protocol import Book

# fine class → (coarse class, characters); a character keeps its first class.
_LEXICON: tuple[tuple[str, str, str], ...] = (
    ("数", "数", "一二三四五六七八九十百千万两双半几亿再数"),
    ("色", "色", "红白青黄绿碧翠紫丹朱苍金银玄素赤黑乌彤缃绛皓粉墨"),
    ("方", "方", "东西南北上下前后左右中里外内间边旁底侧际"),
    ("天", "名", "天日月星风云雨雪霜露烟雾雷电虹霞阳光影辰斗汉气岚空虹霓雹"),
    (
        "地",
        "名",
        "山水江河湖海峰岭溪泉石岸洲林野田原城关路川波涛浪沙尘土地岩谷峡潭池塘渚滩汀坡陵丘岛津浦陌郊村桥径涧壑",
    ),
    ("时", "名", "春夏秋冬朝暮晨夕夜昼晓年时岁今古昔晚宵旦曙节序候世代"),
    (
        "植",
        "名",
        "花草木树柳松竹梅兰菊桃李叶枝莲荷苔藤蓬麦禾稻桑榆杨槐萍蒲芦苇芳蕊絮根茎芽柏桂杏梨瓜果",
    ),
    ("动", "名", "鸟鱼马雁莺燕鹤蝉猿龙虎鸡犬牛羊鸦鹊鸥鹭凤蝶蜂虫兽鹰猴狐雀鸿鸳鸯鹃蛩"),
    (
        "人",
        "名",
        "人客君我吾尔子卿僧翁叟童儿女郎妾家友朋宾主臣民王侯将相仙渔樵农士帝皇兄弟父母夫妻师",
    ),
    ("身", "名", "心身手眼目头发泪面首足骨魂梦肠鬓眉颜齿舌耳口腰腹容貌声"),
    ("物", "名", "舟船车灯酒杯剑琴书帘窗门衣裳巾冠笔纸砚弓箭刀钟鼓笛箫棋杖帆烛镜钱帛锦带茶鞍旗"),
    ("宫", "名", "楼台亭阁殿堂宫室庭院轩榭廊阶墙郭寺庙观塔斋屋舍房居宅国乡邦州郡都"),
    ("事", "名", "事情意志恩愁恨怨思忧诗文字名功业道理史泪信音梦乐曲歌"),
    (
        "虚",
        "虚",
        "不无有自犹尚已将欲未又亦还却更何谁岂共皆俱正恰偏只但方才终始莫休勿非是乃之其于而以与此彼谁安焉哉兮相",
    ),
    (
        "行",
        "动",
        "看听望见来去归飞流落开闻入出过生照吹满留寻问回行走坐卧立起醉眠歌舞啼鸣笑哭送别逢思忆怀知惊登作临度渡隔对随催惜爱怜忘悲伤感叹游返到向饮食照映添垂卷穿绕抱倚依藏露隐沉浮散聚尽断连接传",
    ),
    (
        "状",
        "形",
        "高长深远寒清明新旧大小多少冷暖轻重浓淡疏密静闲幽孤危斜老香浅细急迟苦乱微近晴阴暗凉热好美佳丽难易直曲平圆",
    ),
)
# More characters, each followed by every class it can take (a character may be
# noun and verb: 恨, 别 …). Coarse class by the fine one, as in _LEXICON.
_MORE = (
    "处地 为虚行 得行虚 在行虚 如虚行 应虚 玉物 色事 独虚数 似虚行 同虚状 成行 从虚 分行数 "
    "可虚 能虚 吟行 离行事 故状虚 初时虚 当虚 须虚 华事状 复虚 曾虚 残状 经行 公人 "
    "因虚 堪虚 言行事 若虚 余状人 遥状 唯虚 然虚 楚国 期事行 神人 病事行 动行 先虚方 "
    "早时状 真状 园宫 宿行 语行事 通行 觉行 寂状 官人 久状时 和行虚 常虚 合行 寄行 "
    "待行 景事 便虚 火天物 洞地 虚状 疎状 疏状 萧状 物事 转行虚 秦国 画物行 兴事行 "
    "使行人 至行 胜行状 会行虚 亲人状 说行 移行 逐行 教行虚 识行 灵状人 他人虚 争行虚 悠状 "
    "解行 绝行状 药物 住行 学行 珠物 虽虚 忽虚 定行虚 稀状 所虚 禅事 且虚 谢行 "
    "穷行状 拂行 著行 着行 罗物 往行 荒状 征行 含行 者虚 辞行事 步行事 太状虚 塞地 "
    "疑行 丝物 缘虚事 喜行 伴人行 军人 渐虚 即虚 劳行状 吴国 条数 频虚 群数 怅状 "
    "干行物 用行 求行 贫状 片数 迹事 乘行 沈行状 沉行状 钓行 死行 圣人状 湘国 栖行 "
    "低状 迎行 洛国 骑行动 横行状 报行 令行 飘行 暂虚 本虚事 傍行方 取行 薄状 羽物 "
    "结行 掩行 欢事状 兵人物 那虚 衰状行 最虚 折行 交行 迷行 许虚行 破行状 鴈动 雁动 "
    "引行 力事 枕物 翻行虚 由虚 化行事 贵状 弦物 异状 把行 想行 床物 侵行 摇行 "
    "越国行 贤人状 荣事状 罢行 阙宫 宜虚 彩色 论行 任行虚 劒物 剑物 徒虚 胡国虚 愿行事 "
    "每虚 惆状 消行 战行事 计事 户宫 惟虚 机物事 湿状 念行 遗行 沧色 御行 梁宫国 "
    "齐国状 涯地 命事 邻人宫 极虚事 管物 泥地 句事 章事 岳地 诸数 收行 必虚 种行 "
    "井地 息行 持行 元状 采行 闭行 武事 潮地 点行数 京国 盘物 冰天 及虚 题行 "
    "销行 宝物 携行 寥状 狂状 俗事 苑宫 兼虚 尊物人 樽物 昏时状 指行身 悬行 全虚 "
    "纷状 第宫 猨动 猿动 仍虚 凝行 倾行 角物 凭行 壁宫 轮物 守行 被虚物 肯虚 "
    "烧行 拟虚 恐虚 蜀国 程事 访行 变行 旌物 载行时 称行 馆宫 失行 宁虚 禁宫行 "
    "放行 旅人事 性事 尺数 修状行 图物行 德事 府宫 攀行 封行 吏人 泛行 昨时 遇行 "
    "凄状 端方 也虚 挂行 繁状 赋事行 霄天 借行 精状 艳状 茫状 毛身 法事 畔方 "
    "幸事 积行 赏行 孙人 羡行 笼物行 敢虚 滴行 筵物 调行事 偶虚 礼事 竟虚 沾行 "
    "要虚行 承行 鸾动 比行 漏物 背行身 丛数 纵虚 负行 永虚 遣行 绮物 举行 弄行 "
    "衔行 唱行 众数 漫虚状 势事 参行 冥状 嫌行 营宫 良状 强状虚 没行 绣物 话行 "
    "拜行 迢状 净状 席物 形事 避行 巢宫 荆植 抛行 枯状 雄状 萝植 张行 茅植 "
    "妆事 巴国 喧状 英人植 象事 禽动 恋行 词事 短状 甘状 扉宫 咏行 袖物 殊状 "
    "限事 勤状 泽地 境地 炉物 坛宫 叠行数 顾行 况虚 响事 寞状 嗟虚 瑶物 帐物 "
    "降行 试行 蒙行 厌行 阑状 醒行 差状 宴事 县宫 襟物 并虚 披行 市宫 壶物 "
    "周国 戎人 层数 招行 源地 哀状 就行虚 槛宫 凌行 驻行 雕行动 盖物 拥行 利事 "
    "了行 盛状 驱行 洒行 琼物 殷状 各虚 驿宫 佛人 途地 耕行 奈虚 笙物 遍虚 "
    "投行 养行 顶方 澄状 陇国 杜植国 历行 牵行 睡行 总虚 陶国 淮国 熟状 停行 "
    "鹿动 洗行 印物 桐植 戍行 扫行 痕事 锁行物 杀行 属行 慙行 惭行 诏事 辉天 "
    "漠地 省宫行 泣行 旋虚 扬行 怪行 埃地 簷宫 檐宫 祗虚 幕物 忍行 篱宫 妨行 "
    "篇事 潜行 赠行 买行 冲行 除行 侣人 列行 系行 存行 庐宫 个数 踪事 侍行 "
    "驾行 达行 升行 鞭物 奇状 寿事 灭行 儒人 阔状 姓事 布行 零行数 瑞状 屏物 "
    "记行 晖天 栽行 扇物 歇行 觅行 奉行 奏行 广状 免行 覆行 竿物 磬物 杳状 "
    "界地 盈行 染行 裁行 受行 踏行 换行 聊虚 陈行 献行 羞行 写行 妙状 读行 "
    "娇状 策物 苏行 泊行 韵事 宗人 弹行 社事 迥状 威事 荡行 服物 乍虚 辛状 "
    "遂虚 焚行 亡行 味事 簪物 祖人 兹虚 扶行 暑时 商人 巷地 追行 戈物 占行 "
    "倒行 堤地 丈数 压行 尝行 酬行 芙植 纤状 鼎物 切状 疾状 岐地 娥人 严状 "
    "铜物 巫地 嘶行 劝行 霁天 呼行 衡地 鳞动 偷行 芜状 窥行 梧植 陪行 栏宫 "
    "曹人 钩物 改行 咽行 刘人 延行 鬼人 废行 宦事 壮状 甲物 仪事 场地 支行 "
    "索行 政事 柱宫 棹物 虏人 饶行 血身 妇人 迁行 夷人 灰物 实状 嘉状 潇状 "
    "趋行 蓉植 柴物 砌宫 次数 邑宫 堕行 渭地 潺状 表行 遮行 伏行 乞行 蹄身 "
    "座物 猎行 酌行 翩状 违行 退行 昭状 值行 展行 宣行 浑虚 寸数 纱物 苹植 "
    "渺状 滞行 约行 态事 掌身 履物 荐行 腊时 徧虚 佩物 腾行 促行 畏行 致行 "
    "凡状 阻行 贪行 鬬行 斗行 浩状 甚虚 藓植 射行 辇物 逸状 团状 夸行 赐行 "
    "彻行 般数 秀状 芝植 翼身 网物 司人 袍物 推行 宠事 嬾状 懒状 触行 烦状 "
    "怕行 蛾动 瑟物 堦宫 阶宫 戏行 恨行 别事 金物 月时 烽物 溅行 抵行 常虚 "
    "独虚 病事 孤数状 单数 火物 悲状 多数 少数 归事 来方 去方 客人 "
)
_COARSE = {"数": "数", "色": "色", "方": "方", "虚": "虚", "行": "动", "状": "形"}
_RELATED = frozenset(
    {
        frozenset({"数", "形"}),
        frozenset({"数", "色"}),
        frozenset({"色", "形"}),
        frozenset({"方", "动"}),
        frozenset({"动", "形"}),
        frozenset({"方", "名"}),
    }
)


_RELATED_SCORE = {(a, b): 0.5 for pair in _RELATED for a in pair for b in pair if a != b}


Classes = tuple[tuple[str, str], ...]  # every (fine, coarse) class a character can take


class Lexicon:
    """Character → its (fine class, coarse class) pairs, for simplified and traditional forms."""

    __slots__ = ("_classes", "_scores")

    def __init__(self, book: Book | None = None) -> None:
        classes: dict[str, list[tuple[str, str]]] = {}

        def add(ch: str, pair: tuple[str, str]) -> None:
            entry = classes.setdefault(ch, [])
            if pair not in entry:
                entry.append(pair)

        for fine, coarse, chars in _LEXICON:
            for ch in chars:
                add(ch, (fine, coarse))
        for item in _MORE.split():
            ch, fines = item[0], item[1:]
            for fine in fines:
                add(ch, (fine, _COARSE.get(fine, "名")))
        if book is not None:
            for ch, pairs in list(classes.items()):
                for form in book.to_traditional(ch):
                    if form not in classes:
                        classes[form] = list(pairs)
        self._classes: dict[str, Classes] = {ch: tuple(p) for ch, p in classes.items()}
        self._scores: dict[str, dict[str, float]] = {}  # x → y → score, filled on demand

    def classes(self, ch: str) -> Classes | None:
        return self._classes.get(ch)

    def pair_score(self, x: str, y: str) -> float:
        """The best match over every class either character can take."""
        row = self._scores.get(x)
        if row is None:
            row = self._scores[x] = {}
        cached = row.get(y)
        if cached is not None:
            return cached
        cx = self._classes.get(x)
        cy = self._classes.get(y)
        if cx is None or cy is None:
            best = 0.5
        else:
            best = 0.0
            for fx, kx in cx:
                for fy, ky in cy:
                    if fx == fy:
                        best = 1.0
                    elif kx == ky:
                        best = max(best, 0.75)
                    else:
                        best = max(best, _RELATED_SCORE.get((kx, ky), 0.0))
        row[y] = best
        return best


def _dup_flags(s: str) -> list[bool]:
    """Per position: is the character part of a 叠字 (equal to a neighbour)?"""
    flags = [False] * len(s)
    for i in range(1, len(s)):
        if s[i] == s[i - 1]:
            flags[i] = flags[i - 1] = True
    return flags


def couplet_score(a: str, b: str, lexicon: Lexicon) -> tuple[float, list[int]]:
    """How parallel two lines are, 0..1, and the 0-based positions that are weak (< ½)."""
    n = min(len(a), len(b))
    if n == 0:
        return 0.0, []
    a, b = a[:n], b[:n]
    if len(set(a)) < n or len(set(b)) < n:  # a line repeats a character: 叠字 rules apply
        return _couplet_score_with_repeats(a, b, lexicon)
    table = lexicon._scores
    points = 0.0
    weak: list[int] = []
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        row = table.get(x)
        score = row.get(y) if row is not None else None
        if score is None:
            score = lexicon.pair_score(x, y)
        if x == y:
            score = 0.0  # the same character facing itself
        points += score
        if score < 0.5:
            weak.append(i)
    return points / n, weak


def _couplet_score_with_repeats(a: str, b: str, lexicon: Lexicon) -> tuple[float, list[int]]:
    n = len(a)
    a_dup, b_dup = _dup_flags(a), _dup_flags(b)
    points = 0.0
    weak: list[int] = []
    for i in range(n):
        x, y = a[i], b[i]
        x_dup, y_dup = a_dup[i], b_dup[i]
        if x == y:
            if x_dup and y_dup:  # 叠字 facing the same 叠字: rare but not wrong
                points += 0.5
            else:
                weak.append(i)
        elif x_dup != y_dup:
            weak.append(i)
        elif x_dup:  # 叠字 facing 叠字
            points += 1.0
        else:
            score = lexicon.pair_score(x, y)
            points += score
            if score < 0.5:
                weak.append(i)
    return points / n, weak


def required_couplets(form: Form, n_lines: int) -> list[tuple[int, int]]:
    """颔联 (lines 3–4) and 颈联 (5–6); for 排律 every couplet but the first and last."""
    if not form.is_lv:
        return []
    pairs = [(i, i + 1) for i in range(2, n_lines - 2, 2)]
    return pairs if form.n_lines is None else pairs[:2]


def couplet_findings(
    lines: list[TextLine], full: list[bool], form: Form, lexicon: Lexicon
) -> list[Finding]:
    out: list[Finding] = []
    for i, j in required_couplets(form, len(lines)):
        if j >= len(lines) or not (full[i] and full[j]):
            continue
        score, weak = couplet_score(lines[i].chars, lines[j].chars, lexicon)
        if score >= 0.5:
            continue
        name = {2: "颔联", 4: "颈联"}.get(i, f"第{i // 2 + 1}联")
        cells = tuple((i, p) for p in weak) + tuple((j, p) for p in weak)
        pos = weak[0] if weak else 0
        out.append(
            Finding(
                Rule.DUI_ZHANG,
                Severity.HINT,
                i,
                pos,
                lines[i].chars[pos],
                lines[i].offsets[pos],
                "对仗",
                f"{score:.0%}",
                detail=(
                    ("couplet", name),
                    ("score", f"{score:.2f}"),
                    ("weak", ",".join(str(p + 1) for p in weak)),
                    ("other", str(j + 1)),
                ),
                marks=cells,
            )
        )
    return out
