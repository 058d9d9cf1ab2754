"""Check the incident labelled set against its gold format (README.md in this folder).

Run it after editing a file: ``python tests/data/incidents/validate.py`` (exit 1 and one line
per problem when something is wrong). Checks what a loader would otherwise trip over late:
YAML shape, unique ids, enum values, prisons from the facet gazetteer, date formats, and that
one incident id keeps one kind across all its mentions (ids are global over every split file).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
TOPICS = HERE.parents[2] / "config" / "topics.yaml"
FILES = ("dev_en.yaml", "dev_fa.yaml", "test_en.yaml", "test_fa.yaml")
SPLIT_FILE_RE = re.compile(r"^[a-z]+_(en|fa)\.yaml$")

OUTLET_TYPES = {"rights_group", "state_media", "independent_media", "un_body"}
KINDS = {"execution", "death_sentence", "death_in_custody", "extrajudicial_killing", "flogging", "amputation"}
ALWAYS_CARRIED_OUT = {"execution", "death_in_custody", "extrajudicial_killing"}
STAGES = {"issued", "upheld", "imminent", "carried_out"}
CHARGES = {
    "drug",
    "murder_qisas",
    "moharebeh",
    "rape_sexual",
    "espionage",
    "armed_robbery",
    "other",
    "unknown",
}
GENDERS = {"male", "female", None}
SOURCE_TYPES = {"official", "rights_group", "media"}
PRECISION_BY_LEN = {10: "day", 7: "month", 4: "year"}
ARTICLE_KEYS = {"id", "lang", "outlet", "outlet_type", "published", "story", "title", "text", "mentions"}
MENTION_KEYS = {
    "incident", "kind", "stage", "background", "victims", "charge", "prison", "city", "province",
    "event_date", "event_date_precision", "source_type",
}  # fmt: skip
VICTIM_KEYS = {
    "name",
    "person",
    "count",
    "age",
    "age_at_offence",
    "gender",
    "ethnicity",
    "nationality",
    "religion",
}
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def prison_values(topics: Path = TOPICS) -> set[str]:
    """The `prison` facet values: the only prison labels the register knows."""
    facets = yaml.safe_load(topics.read_text(encoding="utf-8"))["facets"]
    return {entry["value"] for entry in facets["prison"]}


def _check_date(value: str, where: str, errors: list[str]) -> None:
    if not DATE_RE.match(value):
        errors.append(f"{where}: event_date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        return
    parts = [int(p) for p in value.split("-")]
    try:
        date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        errors.append(f"{where}: event_date {value!r} is not a real date")


def _check_victim(v: object, where: str, errors: list[str]) -> str | None:
    if not isinstance(v, dict):
        errors.append(f"{where}: a victim is not a mapping")
        return None
    if set(v) != VICTIM_KEYS:
        errors.append(f"{where}: victim keys {sorted(set(v) ^ VICTIM_KEYS)} missing or unknown")
    name, person, count = v.get("name"), v.get("person"), v.get("count")
    if (name is None) != (person is None):
        errors.append(f"{where}: a named victim needs a person id and an unnamed one none")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        errors.append(f"{where}: count {count!r} is not a positive integer")
    elif name is not None and count != 1:
        errors.append(f"{where}: named victim {name!r} has count {count}")
    if person is not None and not re.fullmatch(r"P\d{4}", str(person)):
        errors.append(f"{where}: person id {person!r} is not P####")
    for key in ("age", "age_at_offence"):
        if v.get(key) is not None and not isinstance(v.get(key), int):
            errors.append(f"{where}: {key} {v.get(key)!r} is not an integer")
    if v.get("gender") not in GENDERS:
        errors.append(f"{where}: gender {v.get('gender')!r}")
    return person


def _check_mention(m: object, art: dict, where: str, prisons: set[str], errors: list[str]) -> None:
    if not isinstance(m, dict):
        errors.append(f"{where}: a mention is not a mapping")
        return
    if set(m) != MENTION_KEYS:
        errors.append(f"{where}: mention keys {sorted(set(m) ^ MENTION_KEYS)} missing or unknown")
    kind, stage = m.get("kind"), m.get("stage")
    if not re.fullmatch(r"I\d{4}", str(m.get("incident"))):
        errors.append(f"{where}: incident id {m.get('incident')!r} is not I####")
    if kind not in KINDS:
        errors.append(f"{where}: kind {kind!r}")
    if stage not in STAGES:
        errors.append(f"{where}: stage {stage!r}")
    elif kind in ALWAYS_CARRIED_OUT and stage != "carried_out":
        errors.append(f"{where}: {kind} must have stage carried_out, not {stage}")
    elif kind == "death_sentence" and stage == "carried_out":
        errors.append(f"{where}: a carried-out death sentence is an execution incident")
    if not isinstance(m.get("background"), bool):
        errors.append(f"{where}: background must be true or false")
    if m.get("charge") not in CHARGES:
        errors.append(f"{where}: charge {m.get('charge')!r}")
    if m.get("prison") is not None and m.get("prison") not in prisons:
        errors.append(f"{where}: prison {m.get('prison')!r} is not a facet value of config/topics.yaml")
    if m.get("source_type") not in SOURCE_TYPES:
        errors.append(f"{where}: source_type {m.get('source_type')!r}")
    event_date, precision = m.get("event_date"), m.get("event_date_precision")
    if event_date is None:
        if precision != "unknown":
            errors.append(f"{where}: no event_date but precision {precision!r}")
    elif not isinstance(event_date, str):
        errors.append(f"{where}: event_date must be a quoted string")
    else:
        _check_date(event_date, where, errors)
        if PRECISION_BY_LEN.get(len(event_date)) != precision:
            errors.append(f"{where}: event_date {event_date} does not match precision {precision!r}")
        if event_date > str(art.get("published")):
            errors.append(f"{where}: event_date {event_date} is after publication")
    victims = m.get("victims")
    if not isinstance(victims, list) or not victims:
        errors.append(f"{where}: victims must be a non-empty list")
        return
    persons = [_check_victim(v, where, errors) for v in victims]
    named = [p for p in persons if p]
    if len(named) != len(set(named)):
        errors.append(f"{where}: a person appears twice in one mention")
    for v in victims:
        if isinstance(v, dict) and v.get("name") and v["name"] not in str(art.get("text", "")):
            errors.append(f"{where}: victim name {v['name']!r} is not written in the text")


def split_files(folder: Path = HERE) -> list[str]:
    """The dev and test files and every other `<split>_en.yaml`/`<split>_fa.yaml` (e.g. holdout)."""
    found = {p.name for p in folder.glob("*.yaml") if SPLIT_FILE_RE.match(p.name)}
    return sorted(found | set(FILES))


def validate(folder: Path = HERE, topics: Path = TOPICS) -> list[str]:
    """Every problem found in the split files of `folder`, as readable lines; [] when valid."""
    errors: list[str] = []
    prisons = prison_values(topics)
    seen_ids: set[str] = set()
    kinds: dict[str, set[str]] = defaultdict(set)
    for name in split_files(folder):
        path = folder / name
        split, lang = name.removesuffix(".yaml").split("_")
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            errors.append(f"{name}: cannot load: {exc}")
            continue
        if not isinstance(items, list):
            errors.append(f"{name}: top level is not a list")
            continue
        for n, art in enumerate(items):
            if not isinstance(art, dict):
                errors.append(f"{name}[{n}]: not a mapping")
                continue
            aid = str(art.get("id"))
            where = f"{name}:{aid}"
            if not re.fullmatch(rf"{lang}-{split[0]}\d{{3}}", aid):
                errors.append(f"{where}: id does not match {lang}-{split[0]}### for this file")
            if aid in seen_ids:
                errors.append(f"{where}: duplicate article id")
            seen_ids.add(aid)
            missing = {"id", "lang", "outlet", "outlet_type", "published", "title", "text", "mentions"} - set(
                art
            )
            if missing or set(art) - ARTICLE_KEYS:
                errors.append(
                    f"{where}: keys missing {sorted(missing)} or unknown {sorted(set(art) - ARTICLE_KEYS)}"
                )
                continue
            if art["lang"] != lang:
                errors.append(f"{where}: lang {art['lang']!r} in a {lang} file")
            if art["outlet_type"] not in OUTLET_TYPES:
                errors.append(f"{where}: outlet_type {art['outlet_type']!r}")
            try:
                date.fromisoformat(str(art["published"]))
            except ValueError:
                errors.append(f"{where}: published {art['published']!r} is not an ISO date")
            words = len(str(art["text"]).split())
            if not 80 <= words <= 400:
                errors.append(f"{where}: text has {words} words, outside 80-400")
            if not isinstance(art["mentions"], list):
                errors.append(f"{where}: mentions must be a list ([] when none)")
                continue
            for k, m in enumerate(art["mentions"]):
                _check_mention(m, art, f"{where} mention {k}", prisons, errors)
                if isinstance(m, dict) and m.get("kind") in KINDS:
                    kinds[str(m.get("incident"))].add(m["kind"])
    for incident, found in sorted(kinds.items()):
        if len(found) > 1:
            errors.append(f"incident {incident} has several kinds: {sorted(found)}")
    return errors


def main() -> int:
    errors = validate()
    for line in errors:
        print(line)
    print(f"{len(errors)} problem(s)" if errors else "incident set: valid")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
