"""models.toml: the shipped catalog, and clear errors (with line numbers) for broken ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.bundled import resource
from app.models.catalog import ArchInfo, load_catalog, parse_catalog
from app.models.errors import CatalogError
from app.models.sizing import ModelShape, estimate_memory, full_offload_vram

TOP_LEVEL = Path(__file__).resolve().parents[2] / "models.toml"

GOOD_ENTRY = """
[[model]]
id = "test-q4"
name.zh = "测试"
name.en = "Test"
kind = "poetry"
original = "someone/Test-Model"
quant = "Q4_K_M"
size_bytes = 1000
memory.vram_bytes = 2000
memory.ram_bytes = 3000
context_length = 4096
prompt_style = "qpm-r1"
license = "MIT"
"""


def test_shipped_catalog_loads_and_has_the_expected_entries() -> None:
    catalog = load_catalog()
    assert len(catalog) >= 6
    default = catalog.default
    assert default.kind == "poetry" and default.quant == "Q4_K_M"
    assert default.original == "ricardozhy/QPM-1K-32B-R1"
    assert "ricardozhy/Xunzi-Yayun-R1" in default.also_known_as
    assert default.search_terms() == ("QPM-1K-32B-R1", "Xunzi-Yayun-R1")
    sizes = {e.quant: e.size_bytes for e in catalog.poetry_models()}
    assert sizes == {
        "Q4_K_M": 19_900_000_000,
        "Q3_K_M": 15_900_000_000,
        "Q5_K_M": 23_300_000_000,
        "Q8_0": 34_800_000_000,
    }
    assert all(e.prompt_style == "qpm-r1" for e in catalog.poetry_models())
    general = {e.repo: e for e in catalog.general_models() if not e.thinks}
    assert set(general) == {"Qwen/Qwen2.5-7B-Instruct-GGUF", "Qwen/Qwen2.5-1.5B-Instruct-GGUF"}
    for entry in general.values():
        assert entry.prompt_style == "chatml-general" and entry.quant == "Q4_K_M"
        assert entry.think_budget is None
        assert "not the poetry model" in entry.kind_label("en")
        assert "非格律诗专用" in entry.kind_label("zh")
        assert entry.notes.zh and entry.notes.en
    for entry in catalog:
        assert entry.name.zh and entry.name.en and entry.license
        assert entry.line > 0


def test_qwen3_entries_are_general_models_that_think() -> None:
    """Qwen3 0.6B–14B in Q4_K_M, and Q8_0 for the two smallest: official repositories first,
    then the model tree of Qwen/Qwen3-<size>; honest labels; budgets growing with size."""
    catalog = load_catalog()
    qwen3 = [e for e in catalog if e.id.startswith("qwen3-")]
    got = {(e.original, e.quant) for e in qwen3}
    sizes = ("0.6B", "1.7B", "4B", "8B", "14B")
    want = {(f"Qwen/Qwen3-{s}", "Q4_K_M") for s in sizes}
    want |= {("Qwen/Qwen3-0.6B", "Q8_0"), ("Qwen/Qwen3-1.7B", "Q8_0")}
    assert got == want
    for entry in qwen3:
        size = entry.original.split("-", 1)[1]  # type: ignore[union-attr]
        assert entry.preferred_repos() == (f"Qwen/Qwen3-{size}-GGUF", f"ggml-org/Qwen3-{size}-GGUF")
        assert entry.kind == "general" and entry.thinks and entry.prompt_style == "qwen3-think"
        assert entry.kind_label("en") == "general model that thinks (not the poetry model)"
        assert "非格律诗专用" in entry.kind_label("zh") and "思考" in entry.kind_label("zh")
        assert "not the poetry model" in entry.notes.en and "不是格律诗专用模型" in entry.notes.zh
        assert entry.license == "Apache-2.0" and entry.arch is not None
        assert entry.arch.vocab == 151936 and entry.arch.kv_heads == 8
        assert entry.vram_bytes < entry.ram_bytes
    q4 = sorted((e for e in qwen3 if e.quant == "Q4_K_M"), key=lambda e: e.size_bytes)
    budgets = [e.think_budget or 0 for e in q4]
    assert all(budgets) and budgets == sorted(set(budgets)), budgets
    assert all(e.vram_bytes < 12 * 10**9 for e in q4)  # every size has a GPU it fits on
    assert not any(e.thinks for e in catalog if e.prompt_style == "chatml-general")
    assert all(e.thinks for e in catalog.poetry_models())


def test_think_budget_only_for_models_that_think() -> None:
    text = GOOD_ENTRY.replace('license = "MIT"', 'license = "MIT"\nthink_budget = 800')
    assert parse_catalog(text).entries[0].think_budget == 800
    general = text.replace('prompt_style = "qpm-r1"', 'prompt_style = "chatml-general"')
    assert "only applies to models that think" in _error(general)
    assert "positive integer" in _error(text.replace("= 800", "= 0"))
    more = GOOD_ENTRY.replace('license = "MIT"', 'license = "MIT"\nmore_repos = ["a/b", "c/d"]')
    assert parse_catalog(more).entries[0].preferred_repos() == ("a/b", "c/d")
    assert "owner/name" in _error(more.replace('"c/d"', '"cd"'))


def test_the_packaged_copy_is_the_top_level_file() -> None:
    """resources/models.toml links to ../models.toml, so the package ships the same text."""
    assert resource("models.toml").read_text(encoding="utf-8") == TOP_LEVEL.read_text(
        encoding="utf-8"
    )
    assert load_catalog(TOP_LEVEL).entries == load_catalog().entries


def test_memory_figures_agree_with_the_sizing_formula() -> None:
    """memory.vram_bytes is the 8k-context full-offload estimate, rounded up a little."""
    for entry in load_catalog():
        assert entry.arch is not None, entry.id
        shape = ModelShape.from_arch(entry.arch, entry.size_bytes)
        vram = full_offload_vram(shape, 8192)
        assert vram <= entry.vram_bytes <= vram * 1.05, entry.id
        cpu = estimate_memory(shape, 8192, 0).cpu_bytes
        assert entry.ram_bytes >= cpu, entry.id


def test_entry_lines_point_at_their_headers() -> None:
    text = TOP_LEVEL.read_text(encoding="utf-8").splitlines()
    for entry in load_catalog(TOP_LEVEL):
        assert text[entry.line - 1].strip() == "[[model]]"
        assert f'id = "{entry.id}"' in "\n".join(text[entry.line : entry.line + 3])


def test_minimal_entry_defaults() -> None:
    catalog = parse_catalog("schema = 1\n" + GOOD_ENTRY)
    entry = catalog.get("test-q4")
    assert entry.pattern == "*.gguf" and entry.sha256 == () and entry.arch is None
    assert catalog.default is entry and "test-q4" in catalog
    with pytest.raises(KeyError):
        catalog.get("missing")


def test_sha256_as_string_or_list_and_arch() -> None:
    text = GOOD_ENTRY.replace(
        'license = "MIT"',
        'license = "MIT"\nsha256 = "' + "AB" * 32 + '"\n'
        "arch = { layers = 2, heads = 4, kv_heads = 2, head_dim = 16, hidden = 64, vocab = 50 }",
    )
    entry = parse_catalog(text).entries[0]
    assert entry.sha256 == ("ab" * 32,)
    assert entry.arch == ArchInfo(2, 4, 2, 16, 64, 50)
    pinned = f'license = "MIT"\nsha256 = ["{"1" * 64}", "{"2" * 64}"]'
    split = parse_catalog(GOOD_ENTRY.replace('license = "MIT"', pinned))
    assert split.entries[0].sha256 == ("1" * 64, "2" * 64)


def _error(text: str) -> str:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "models.toml")
    assert caught.value.zh and caught.value.en
    return caught.value.en


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_toml_syntax_error_keeps_the_line_number() -> None:
    text = GOOD_ENTRY + '\n[[model]]\nid = "broken\n'
    message = _error(text)
    assert re.search(rf"line {_line_of(text, 'broken')}\b", message), message


@pytest.mark.parametrize(
    ("change", "needle", "words"),
    [
        (('kind = "poetry"', 'kind = "epic"'), "kind =", "kind must be one of"),
        (("size_bytes = 1000", 'size_bytes = "big"'), "size_bytes", "positive integer"),
        (("size_bytes = 1000", "size_bytes = -5"), "size_bytes", "positive integer"),
        (('quant = "Q4_K_M"', 'quant = "Q4 K M"'), "quant =", "not a quant name"),
        (('license = "MIT"', 'license = "MIT"\nflavour = "spicy"'), "flavour", "unknown key"),
        (('prompt_style = "qpm-r1"', 'prompt_style = "alpaca"'), "prompt_style", "prompt_style"),
        (('original = "someone/Test-Model"', 'original = "no-slash"'), "original", "owner/name"),
        (('name.en = "Test"', 'name.fr = "Essai"'), "name.zh", "name.zh and name.en"),
        (("memory.ram_bytes = 3000", ""), "memory.vram", "memory needs"),
        (('license = "MIT"', 'license = "MIT"\nsha256 = "xyz"'), "sha256", "64-hex"),
        (('license = "MIT"', 'license = "MIT"\npattern = "*.bin"'), "pattern", "end in .gguf"),
        (('id = "second"', 'id = "Second Q4"'), "id =", "lower-case"),
    ],
)
def test_semantic_errors_name_the_line(change: tuple[str, str], needle: str, words: str) -> None:
    text = "schema = 1\n" + GOOD_ENTRY + GOOD_ENTRY.replace("test-q4", "second")
    start = text.rindex("[[model]]")
    broken = text[:start] + text[start:].replace(*change)
    message = _error(broken)
    line = _line_of(broken[start:], needle) + broken[:start].count("\n")
    assert f"line {line}:" in message, message
    assert words in message


def test_missing_required_key_names_the_entry() -> None:
    second = GOOD_ENTRY.replace("test-q4", "x2").replace('quant = "Q4_K_M"\n', "")
    text = "schema = 1\n" + GOOD_ENTRY + second
    message = _error(text)
    header_line = text[: text.rindex("[[model]]")].count("\n") + 1
    assert f"line {header_line}:" in message
    assert "missing required key 'quant'" in message


def test_duplicate_ids_and_defaults() -> None:
    message = _error(GOOD_ENTRY + GOOD_ENTRY)
    assert "duplicate entry id 'test-q4'" in message
    two_defaults = GOOD_ENTRY.replace('kind = "poetry"', 'kind = "poetry"\ndefault = true')
    message = _error(two_defaults + two_defaults.replace("test-q4", "other"))
    assert "more than one default" in message


def test_entry_needs_a_source() -> None:
    message = _error(GOOD_ENTRY.replace('original = "someone/Test-Model"\n', ""))
    assert "give original" in message


def test_schema_and_empty_catalog() -> None:
    assert "unsupported catalog schema" in _error("schema = 7\n" + GOOD_ENTRY)
    assert "no [[model]] entries" in _error("schema = 1\n")
    assert "unknown top-level key" in _error("colour = 1\n" + GOOD_ENTRY)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="Cannot read the model catalog"):
        load_catalog(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(CatalogError):
        load_catalog(bad)


# ---------------------------------------------------------------- build recipes

RECIPE = (
    'build = { architecture = "qwen2", download_bytes = 65_538_000_000, '
    "peak_disk_bytes = 151_000_000_000, ram_bytes = 20_400_000_000, time_s = 3_900 }\n"
)


def test_the_poetry_model_has_a_build_recipe_and_the_others_do_not_need_one() -> None:
    catalog = load_catalog()
    for entry in catalog:
        if entry.original == "ricardozhy/QPM-1K-32B-R1":
            assert entry.build is not None and entry.build.architecture == "qwen2", entry.id
            assert entry.build_sources() == (
                "ricardozhy/QPM-1K-32B-R1",
                "ricardozhy/Xunzi-Yayun-R1",
            )
        else:  # published as GGUF by Qwen themselves
            assert entry.build is None, entry.id


def test_recipe_figures_agree_with_the_build_estimate() -> None:
    """download, peak disk, memory and time are estimate_build's, within 5 %."""
    from app.models.build.estimate import estimate_build

    for entry in load_catalog():
        recipe = entry.build
        if recipe is None:
            continue
        assert entry.arch is not None
        est = estimate_build(
            download_bytes=recipe.download_bytes,
            weight_bytes=recipe.download_bytes - 11_000_000,  # less tokenizer and JSON files
            quant=entry.quant,
            largest_tensor=entry.arch.vocab * entry.arch.hidden,
            result_bytes=entry.size_bytes,
            cores=8,
        )
        for name, want, got in (
            ("peak disk", est.peak_disk_bytes, recipe.peak_disk_bytes),
            ("ram", est.ram_bytes, recipe.ram_bytes),
            ("time", est.total_seconds, recipe.time_s),
        ):
            assert abs(got - want) <= 0.05 * want, (entry.id, name, got, want)


def test_recipe_validation_names_the_line() -> None:
    good = parse_catalog("schema = 1\n" + GOOD_ENTRY + RECIPE).get("test-q4")
    assert good.build is not None and good.build.repo is None
    assert good.build_sources() == ("someone/Test-Model",)
    for broken, words in (
        (RECIPE.replace('"qwen2"', '"mixtral"'), "build.architecture must be one of"),
        (RECIPE.replace("time_s = 3_900", "time_s = 0"), "build.time_s must be a positive"),
        (RECIPE.replace("time_s", "minutes"), "unknown key build.minutes"),
        (RECIPE.replace("{ ", '{ repo = "no-slash", '), "build.repo is not of the form"),
    ):
        text = "schema = 1\n" + GOOD_ENTRY + broken
        message = _error(text)
        assert words in message, message
        assert f"line {text.count(chr(10))}:" in message, message  # the build line
