"""Languages: the per-story decision, French entities, dates, datelines and boilerplate, other languages skipped
with a reason, the --ner-model set, and a French mixed feed through `wirebeam run`."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
from pathlib import Path

import pytest

import transforms.dates.rules_fr as rules_fr_package
from pipeline.options import parse_args
from schemas.story import Cluster, ClusterCopy, EnrichedStory, FeedSource
from transforms.clean.boilerplate import is_chrome_line, is_credit_line
from transforms.clean.dateline import parse_dateline
from transforms.dates import ExtractDatesFn, engine
from transforms.dates.rules_fr import RULES_FR
from transforms.dates.rules_fr.tense import clause_tense_fr
from transforms.dates.tagger import extract_dates, no_rules_reason
from transforms.entities import ExtractEntitiesFn
from transforms.entities.languages import (
    DEFAULT_MODELS,
    FRENCH_MODEL,
    LanguageEntityExtractors,
    add_repeats,
    format_model_spec,
    map_labels,
    parse_model_spec,
)
from transforms.entities.ner import DEFAULT_MODEL
from transforms.language import decide_language, enrichment_language, normalize_code

FIXTURE = Path(__file__).parent / "data" / "fr-mixed-feed.xml"
FR_TEXT = "Le gouvernement a annoncé lundi une hausse du salaire minimum à compter du 1er janvier."
DE_TEXT = "Die Bundesregierung hat am Mittwoch ein neues Klimaschutzpaket für die Industrie beschlossen."
EN_TEXT = "The Federal Reserve held interest rates steady on Wednesday, citing cooling inflation."

# --------------------------------------------------------------------------------------------------------------
# The language decision


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "en"), ("en-US", "en"), ("IT-it", "it"), ("pt_BR", "pt"), (" fr ", "fr"), ("FR-fr", "fr"),
     ("", None), (None, None), ("english", None), ("fr1", None), ("x", None)],
)  # fmt: skip
def test_normalize_code(code: str | None, expected: str | None) -> None:
    assert normalize_code(code) == expected


@pytest.mark.parametrize(
    ("declared", "title", "body", "language", "source"),
    [
        ("fr-FR", "Grève à la SNCF", FR_TEXT, "fr", "declared"),
        ("fr", "Sommet", "", "fr", "declared_unchecked"),  # too few letters to check: the feed's word stands
        ("fr", "Hamburger Hafen", DE_TEXT, "de", "overruled"),  # a German item in a French channel
        ("kn", "Vishwas Crystal residential apartments inaugurated", EN_TEXT, "en", "overruled"),
        (None, "", FR_TEXT, "fr", "detected"),
        (None, "", DE_TEXT, "de", "detected"),
        (None, "Ok", "", None, "undetermined"),
        # py3langid's Nigerian Pidgin class takes plain English headlines; it is folded into English.
        (None, "Nigeria orders investigation into second fake government agency", "", "en", "detected"),
        ("es", "", "El Gobierno aprobó este martes una subida del salario mínimo.", "es", "declared"),
    ],
)
def test_decide_language(declared: str | None, title: str, body: str, language: str | None, source: str) -> None:
    decision = decide_language(declared, title, body)
    assert (decision.language, decision.source) == (language, source)
    assert decision.declared == (declared.strip() if declared else None)


def test_close_language_does_not_overrule_a_declaration() -> None:
    # Portuguese declared on a short Galician-looking line: not confident enough to overrule.
    decision = decide_language("pt", "Fernanda Melchionna: a Primavera Feminista vai derrotar Bolsonaro", "")
    assert decision.language == "pt"


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [("fr", "declared", "fr"), (None, None, "en"), (None, "undetermined", None), ("de", "detected", "de")],
)
def test_enrichment_language(language: str | None, source: str | None, expected: str | None) -> None:
    assert enrichment_language(language, source) == expected


# --------------------------------------------------------------------------------------------------------------
# French dates


ANCHOR = dt.date(2026, 1, 7)  # a Wednesday in ISO week 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le président a reçu lundi ses homologues.", [("lundi", "2026-01-05")]),
        ("Il recevra lundi ses homologues.", [("lundi", "2026-01-12")]),
        ("La réunion aura lieu jeudi prochain.", [("jeudi prochain", "2026-01-08")]),
        ("Il est parti vendredi dernier.", [("vendredi dernier", "2026-01-02")]),
        ("Hier soir, la grève a commencé.", [("Hier soir", "2026-01-06TEV")]),
        ("aujourd'hui, demain et avant-hier", [("aujourd'hui", "2026-01-07"), ("demain", "2026-01-08"),
                                             ("avant-hier", "2026-01-05")]),
        ("Le texte a été annoncé la semaine dernière.", [("la semaine dernière", "2026-W01")]),
        ("Il sera voté la semaine prochaine.", [("la semaine prochaine", "2026-W03")]),
        ("Le sommet se tiendra le 5 février.", [("5 février", "2026-02-05")]),
        ("Le mouvement avait commencé le 30 décembre.", [("30 décembre", "2025-12-30")]),
        ("Le 1er mars 2026 et le 12 décembre 2025.", [("1er mars 2026", "2026-03-01"),
                                                    ("12 décembre 2025", "2025-12-12")]),
        ("Il présentera sa réforme début mars.", [("début mars", "2026-03")]),
        ("mi-juin, fin 2025, janvier 2027",
         [("mi-juin", "2026-06"), ("fin 2025", "2025"), ("janvier 2027", "2027-01")]),
        ("Les prix ont baissé en 2024, il y a deux ans.", [("2024", "2024"), ("il y a deux ans", "2024")]),
        ("l'an dernier, l'année prochaine, cette année, le mois prochain",
         [("l'an dernier", "2025"), ("l'année prochaine", "2027"), ("cette année", "2026"),
          ("le mois prochain", "2026-02")]),
        ("ce matin, la nuit dernière", [("ce matin", "2026-01-07TMO"), ("la nuit dernière", "2026-01-06TNI")]),
        ("Il a été condamné à trois ans de prison.", [("trois ans", "P3Y")]),
        ("Le décret du 05/01/2026.", [("05/01/2026", "2026-01-05")]),
        # "mars" and "mai" need a frame: the planet and a name are not months.
        ("La sonde Mars Express et Mai Nguyen.", []),
        ("Il a été élu en mai.", [("mai", "2025-05")]),
        ("Sept personnes sont mortes.", []),
        # Seasons need a frame: "été" is also the participle of être.
        ("Le texte sera examiné avant l'été.", [("l'été", "2026-SU")]),
        ("au printemps 2026, l'hiver dernier", [("printemps 2026", "2026-SP"), ("l'hiver dernier", "2025-WI")]),
        ("Il a été condamné après un été chaud.", []),
    ],
)  # fmt: skip
def test_french_dates(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.text, m.value) for m in extract_dates(text, ANCHOR, "fr")] == expected


def test_french_dates_without_anchor_keep_their_granularity() -> None:
    got = [(m.text, m.value) for m in extract_dates("lundi, aujourd'hui, le 5 janvier", None, "fr")]
    assert got == [("lundi", "XXXX-WXX-1"), ("aujourd'hui", "PRESENT_REF"), ("5 janvier", "XXXX-01-05")]


@pytest.mark.parametrize(
    ("text", "mention", "tense"),
    [
        ("Le ministre recevra lundi les syndicats.", "lundi", "future"),
        ("Le ministre a reçu lundi les syndicats.", "lundi", "past"),
        ("Le musée est resté fermé dimanche.", "dimanche", "past"),
        ("Une réunion est prévue lundi.", "lundi", "future"),
        ("Il s'est qualifié mercredi.", "mercredi", "past"),
        ("Les syndicats manifestent lundi.", "lundi", None),
    ],
)
def test_french_tense(text: str, mention: str, tense: str | None) -> None:
    start = text.index(mention)
    assert clause_tense_fr(text, start, start + len(mention)) == tense


def test_english_dates_unchanged_by_default() -> None:
    assert [(m.text, m.value) for m in extract_dates("Kerry met Lavrov on Monday.", ANCHOR)] == [
        ("Monday", "2026-01-05")
    ]
    assert extract_dates("Le président a reçu lundi ses homologues.", ANCHOR) == []


def test_every_french_rule_is_in_the_table_once() -> None:
    defined = {
        id(value)
        for info in pkgutil.iter_modules(rules_fr_package.__path__)
        for value in vars(importlib.import_module(f"{rules_fr_package.__name__}.{info.name}")).values()
        if isinstance(value, engine.Rule)
    }
    assert sorted(id(r) for r in RULES_FR) == sorted(defined)
    assert len({r.name for r in RULES_FR}) == len(RULES_FR)


@pytest.mark.parametrize(
    ("language", "reason"),
    [("en", None), ("fr", None), ("de", "no rules for de"), (None, "language undetermined")],
)
def test_no_rules_reason(language: str | None, reason: str | None) -> None:
    assert no_rules_reason(language) == reason


# --------------------------------------------------------------------------------------------------------------
# French datelines and boilerplate

PUBLISHED = dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("line", "location", "date", "agency", "rest"),
    [
        ("PARIS, 5 janvier (AFP) - Le gouvernement a annoncé", "PARIS", dt.date(2026, 1, 5), "AFP", "Le"),
        ("PARIS (AFP) - Le gouvernement", "PARIS", None, "AFP", "Le"),
        ("Paris (AFP) - Le gouvernement", "Paris", None, "AFP", "Le"),
        ("SAINT-ÉTIENNE, 1er mars 2026 (AFP) - Un", "SAINT-ÉTIENNE", dt.date(2026, 3, 1), "AFP", "Un"),
        ("POINTE-À-PITRE, 30 décembre (AFP) - Les", "POINTE-À-PITRE", dt.date(2025, 12, 30), "AFP", "Les"),
        ("BRUXELLES, 12 févr (Belga) - Le", "BRUXELLES", dt.date(2026, 2, 12), "Belga", "Le"),
        ("Genève (Keystone-ATS) - La", "Genève", None, "Keystone-ATS", "La"),
        ("Aix-en-Provence (AFP) - Un", "Aix-en-Provence", None, "AFP", "Un"),
    ],
)
def test_french_datelines(line: str, location: str, date: dt.date | None, agency: str, rest: str) -> None:
    found = parse_dateline(line, PUBLISHED)
    assert found is not None
    dateline, consumed = found
    assert (dateline.location, dateline.date, dateline.agency) == (location, date, agency)
    assert line[consumed:].split()[0] == rest


@pytest.mark.parametrize("line", ["Le gouvernement (AFP) - a dit", "Selon lui (AFP) - rien"])
def test_french_sentence_is_no_dateline(line: str) -> None:
    assert parse_dateline(line, PUBLISHED) is None


@pytest.mark.parametrize(
    ("line", "chrome", "credit"),
    [
        ("Partager", True, False),
        ("Partager sur Facebook", True, False),
        ("Lire aussi : Le gouvernement recule sur les retraites", True, False),
        ("La suite après cette publicité", True, False),
        ("Temps de lecture : 3 min", True, False),
        ("Inscrivez-vous à notre newsletter quotidienne", True, False),
        ("Crédit photo : Ludovic Marin / AFP", True, False),
        ("Par Jean Dupont", False, True),
        ("Par Jean Dupont et Marie Martin (AFP)", False, True),
        ("Avec AFP", False, True),
        ("(avec agences)", False, True),
        ("Par ailleurs, le ministre a annoncé une réforme des retraites.", False, False),
        ("Le gouvernement a annoncé lundi une réforme des retraites.", False, False),
    ],
)
def test_french_boilerplate(line: str, chrome: bool, credit: bool) -> None:
    assert (is_chrome_line(line), is_credit_line(line)) == (chrome, credit)


# --------------------------------------------------------------------------------------------------------------
# Entity models per language


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (DEFAULT_MODEL, DEFAULT_MODELS),
        ("my_en_model", {"en": "my_en_model", "fr": FRENCH_MODEL}),
        ("en=a,fr=b", {"en": "a", "fr": "b"}),
        ("fr=none", {"en": DEFAULT_MODEL}),
        ("de=de_core_news_sm", {**DEFAULT_MODELS, "de": "de_core_news_sm"}),
        (" en = a , fr = NONE ", {"en": "a"}),
    ],
)
def test_parse_model_spec(spec: str, expected: dict[str, str]) -> None:
    assert parse_model_spec(spec) == expected
    assert parse_model_spec(format_model_spec(expected)) == expected


@pytest.mark.parametrize("spec", ["", "en=", "=x", "english=x", "en=a,b", "en-US=x"])
def test_parse_model_spec_rejects(spec: str) -> None:
    with pytest.raises(ValueError, match="--ner-model"):
        parse_model_spec(spec)


def test_ner_model_option_is_normalized() -> None:
    config, _ = parse_args(["run", "--ner-model", "fr=none"])
    assert config.ner_model == f"en={DEFAULT_MODEL},fr=none"
    config, _ = parse_args(["run"])
    assert config.ner_model == f"en={DEFAULT_MODEL},fr={FRENCH_MODEL}"
    assert parse_model_spec(config.ner_model) == DEFAULT_MODELS


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("fr=fr_core_news_nonexistent", "--ner-model 'fr=fr_core_news_nonexistent' is not an installed"),
        ("en=a,b", "--ner-model: 'b' is not LANG=PIPELINE"),
    ],
)
def test_bad_ner_model_names_the_flag(value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["run", "--ner-model", value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_map_labels() -> None:
    text = "Le Français Julien Marchand a rencontré le ministre de l'Intérieur à Paris et l'ONU, Open d'Australie."

    def span(surface: str, label: str) -> tuple[int, int, str]:
        return text.index(surface), text.index(surface) + len(surface), label

    spans = [
        span("Français", "LOC"),  # a demonym after an article
        span("Julien Marchand", "PER"),
        span("ministre de l'Intérieur", "ORG"),  # a role
        span("Paris", "LOC"),  # a city in the gazetteer
        span("l'ONU", "ORG"),  # the article trimmed
        span("Open d'Australie", "MISC"),  # dropped
    ]
    got = [(text[s:e], label) for s, e, label in map_labels(text, spans, {"Paris": "city"})]
    assert got == [("Français", "NORP"), ("Julien Marchand", "PERSON"), ("Paris", "GPE"), ("ONU", "ORG")]


def test_add_repeats_finds_later_mentions() -> None:
    text = "Claire Duvivier a parlé. Duvivier a ensuite rejoint Rouen, puis Rouen encore."
    spans = [(0, 15, "PERSON"), (52, 57, "LOC")]
    got = [(text[s:e], label) for s, e, label in add_repeats(text, spans)]
    assert got == [("Claire Duvivier", "PERSON"), ("Duvivier", "PERSON"), ("Rouen", "LOC"), ("Rouen", "LOC")]


def test_reason_for_languages_without_a_model() -> None:
    ex = LanguageEntityExtractors(f"en={DEFAULT_MODEL},fr=none")
    assert [ex.reason(x) for x in ("en", "fr", "de", None)] == [
        None, "no model for fr", "no model for de", "language undetermined"
    ]  # fmt: skip


def enriched(body: str, language: str | None, source: str | None) -> EnrichedStory:
    feed = FeedSource(url="https://fil.example.org/feed.xml")
    now = dt.datetime(2026, 1, 7, 12, tzinfo=dt.UTC)
    return EnrichedStory(
        id=f"s-{language}", title="", body=body, source=feed, content_hash="h", language=language,
        language_source=source, published_at=now, fetched_at=now, processed_at=now,
        cluster=Cluster(id="c", size=1, copies=[ClusterCopy(id="c", source=feed.url)]),
    )  # fmt: skip


def test_entity_stage_per_language() -> None:
    """One batch of French, German and never-decided (English) stories: each gets its own language's model, the
    German one none and the reason; the French model is loaded on the first French story."""
    fn = ExtractEntitiesFn(DEFAULT_MODEL, batch_size=8)
    fn.setup()
    assert not fn._extractor._extractors["fr"].components  # not loaded before a French story
    fr = enriched("Le président Emmanuel Macron a reçu lundi à Paris le chancelier Olaf Scholz.", "fr", "declared")
    de = enriched(DE_TEXT, "de", "detected")
    en = enriched("Kerry met Lavrov in London on Sunday, the State Department said.", None, None)
    out = {s.id: s for s in fn.process([fr, de, en])}
    assert [(e.text, e.label) for e in out["s-fr"].entities] == [
        ("Emmanuel Macron", "PERSON"), ("Paris", "GPE"), ("Olaf Scholz", "PERSON")
    ]  # fmt: skip
    assert out["s-fr"].enrichment == {}
    assert out["s-de"].entities == [] and out["s-de"].enrichment == {"entities": "no model for de"}
    assert {e.text for e in out["s-None"].entities} >= {"Kerry", "Lavrov", "London"}


def test_dates_stage_per_language() -> None:
    fn = ExtractDatesFn()
    fn.setup()
    (fr,) = list(fn.process(enriched("Le ministre a reçu lundi les syndicats.", "fr", "declared")))
    assert [(d.text, d.value) for d in fr.dates] == [("lundi", "2026-01-05")]
    (de,) = list(fn.process(enriched(DE_TEXT, "de", "detected")))
    assert de.dates == [] and de.enrichment == {"dates": "no rules for de"}
    (und,) = list(fn.process(enriched("Ok", None, "undetermined")))
    assert und.enrichment == {"dates": "language undetermined"}


# --------------------------------------------------------------------------------------------------------------
# End to end


@pytest.mark.e2e
def test_run_on_a_french_mixed_feed(tmp_path: Path, run_cli) -> None:
    code, printed = run_cli("run", "--feeds", str(FIXTURE), "--output", str(tmp_path))
    assert code == 0, printed
    (run,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    stories = {
        s.title: s
        for f in run.glob("stories-*.jsonl")
        for s in (EnrichedStory.model_validate_json(line) for line in f.read_text().splitlines())
    }
    assert len(stories) == 5
    havre = stories["Grève des dockers : le port du Havre paralysé pour le troisième jour"]
    assert (havre.language, havre.language_source, havre.language_declared) == ("fr", "declared", "fr-FR")
    assert havre.dateline is not None and (havre.dateline.location, havre.dateline.agency) == ("LE HAVRE", "AFP")
    assert havre.dateline.date == dt.date(2026, 1, 7)
    assert "Lire aussi" not in havre.body and "Partager" not in havre.body
    assert ("Claire Duvivier", "PERSON", 2) in {(e.canonical, e.label, e.count) for e in havre.entities}
    assert {"CGT", "Rouen"} <= {e.text for e in havre.entities}
    assert [(d.text, d.value) for d in havre.dates] == [
        ("mercredi", "2026-01-07"), ("hier soir", "2026-01-06TEV"), ("lundi", "2026-01-12"),
        ("5 janvier", "2026-01-05")
    ]  # fmt: skip
    tennis = stories["Tennis : Julien Marchand qualifié pour le deuxième tour à Melbourne"]
    assert tennis.credits == ["Par Sophie Lenoir"]
    assert ("Julien Marchand", "PERSON") in {(e.canonical, e.label) for e in tennis.entities}
    budget = stories["Budget : le gouvernement présentera sa réforme début mars"]
    # French names keep their small words; the title's "début mars" is a date of the title.
    assert {("Assemblée nationale", "ORG"), ("Banque de France", "ORG"), ("Antoine Bellec", "PERSON")} <= {
        (e.canonical, e.label) for e in budget.entities
    }
    assert ("début mars", "title", "2026-03") in {(d.text, d.field, d.value) for d in budget.dates}
    german = stories["Hamburger Hafen: Streik legt Containerterminals lahm"]
    assert (german.language, german.language_source, german.language_declared) == ("de", "overruled", "fr-FR")
    assert german.entities == [] and german.dates == []
    assert german.enrichment == {"entities": "no model for de", "dates": "no rules for de"}
    english = stories["Port strikes spread to Antwerp as talks stall"]
    assert (english.language, english.language_source) == ("en", "declared")
    assert {"Antwerp", "Pieter Janssens"} <= {e.text for e in english.entities}
    assert [d.value for d in english.dates] == ["2026-01-07", "2026-01-05"]
    json.loads((run / "manifest.json").read_text())  # the run completed and wrote its manifest
