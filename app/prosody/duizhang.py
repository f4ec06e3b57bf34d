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
    from app.prosody.rhymebook import RhymeBook

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


class Lexicon:
    """Character → (fine class, coarse class), for simplified and traditional forms."""

    __slots__ = ("_classes",)

    def __init__(self, book: RhymeBook | None = None) -> None:
        classes: dict[str, tuple[str, str]] = {}
        for fine, coarse, chars in _LEXICON:
            for ch in chars:
                classes.setdefault(ch, (fine, coarse))
        if book is not None:
            for ch, cls in list(classes.items()):
                for form in book.to_traditional(ch):
                    classes.setdefault(form, cls)
        self._classes = classes

    def classes(self, ch: str) -> tuple[str, str] | None:
        return self._classes.get(ch)

    def pair_score(self, x: str, y: str) -> float:
        cx = self._classes.get(x)
        cy = self._classes.get(y)
        if cx is None or cy is None:
            return 0.5
        if cx[0] == cy[0]:
            return 1.0
        if cx[1] == cy[1]:
            return 0.75
        return _RELATED_SCORE.get((cx[1], cy[1]), 0.0)


def couplet_score(a: str, b: str, lexicon: Lexicon) -> tuple[float, list[int]]:
    """How parallel two lines are, 0..1, and the 0-based positions that are weak (< ½)."""
    n = min(len(a), len(b))
    if n == 0:
        return 0.0, []
    points = 0.0
    weak: list[int] = []
    for i in range(n):
        x, y = a[i], b[i]
        x_dup = (i > 0 and a[i - 1] == x) or (i + 1 < n and a[i + 1] == x)
        y_dup = (i > 0 and b[i - 1] == y) or (i + 1 < n and b[i + 1] == y)
        if x == y:
            if x_dup and y_dup:  # 叠字 facing the same 叠字: rare but not wrong
                points += 0.5
            else:
                weak.append(i)
            continue
        if x_dup != y_dup:
            weak.append(i)
            continue
        if x_dup:  # 叠字 facing 叠字
            points += 1.0
            continue
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
