"""results.jsonl: appended and fsynced, a torn last line survives, newer schemas are refused."""

from __future__ import annotations

import json

import pytest

from infercost.case import Case
from infercost.errors import ResultsError
from infercost.results import Record, ResultsStore, load_records


def make_record(model="resnet50", batch=1, samples=(0.01, 0.012, 0.011)) -> Record:
    return Record.for_case(Case(model, batch_size=batch), run_id="r1", status="ok", env={"host": "h"},
                           timing={"method": "adaptive"}).with_samples(list(samples))


def test_append_and_load_round_trip(tmp_path):
    store = ResultsStore(tmp_path)
    store.append(make_record(batch=1))
    store.append(make_record(batch=2))
    records = load_records(tmp_path)
    assert [r.batch_size for r in records] == [1, 2]
    assert records[0].stats.median_s == pytest.approx(0.011)
    assert records[1].throughput_per_s == pytest.approx(2 / 0.011)
    assert store.done_ids() == {make_record(batch=1).case_id, make_record(batch=2).case_id}


def test_torn_last_line_is_skipped_and_healed(tmp_path):
    store = ResultsStore(tmp_path)
    store.append(make_record(batch=1))
    with open(store.path, "a") as fh:
        fh.write('{"schema": "infercost.result/1", "run_')  # killed mid-write
    assert len(load_records(tmp_path)) == 1
    store.append(make_record(batch=4))
    assert [r.batch_size for r in load_records(tmp_path)] == [1, 4]


def test_newer_schema_is_refused(tmp_path):
    data = json.loads(make_record().to_json())
    data["schema"] = "infercost.result/9"
    (tmp_path / "results.jsonl").write_text(json.dumps(data) + "\n")
    with pytest.raises(ResultsError, match="newer"):
        load_records(tmp_path)


def test_malformed_middle_line_names_file_and_line(tmp_path):
    (tmp_path / "results.jsonl").write_text(make_record().to_json() + "\nnot json\n" + make_record().to_json() + "\n")
    with pytest.raises(ResultsError, match=r"results.jsonl:2"):
        load_records(tmp_path)


def test_case_id_is_stable_and_distinguishes_cases():
    assert Case("resnet50").case_id == Case("resnet50").case_id
    assert Case("resnet50").case_id != Case("resnet50", batch_size=2).case_id
    assert Case("edsr", options=(("scale", 3),)).case_id != Case("edsr").case_id


def test_image_cases_keep_the_ids_they_had_before_inputs_were_data():
    # Pinned under schema 1; an image case names no inputs, so its id must not move.
    assert Case("resnet50").case_id == "9740275c5bcbc7ac"
    edsr = Case("edsr", precision="bf16", batch_size=4, height=512, width=384, options=(("scale", 3),))
    assert edsr.case_id == "57ce78a964504e49"


def test_a_schema_1_token_record_reads_without_its_1x1_image_size(tmp_path):
    data = json.loads(make_record().to_json())
    data.update(schema="infercost.result/1", model="bert-base", height=1, width=1, options={"dims": "seq=64"})
    image = json.loads(make_record().to_json()) | {"schema": "infercost.result/1"}
    (tmp_path / "results.jsonl").write_text(json.dumps(data) + "\n" + json.dumps(image) + "\n")
    token, old_image = load_records(tmp_path)
    assert token.height is None and token.tokens == 64 and token.size_label == "seq 64"
    assert token.case_id == data["case_id"]  # the stored id is kept
    assert old_image.height == 224 and old_image.case.inputs == ()


def test_a_token_case_carries_its_inputs_and_no_image_size():
    from infercost.grid import single_case

    case = single_case("bert-base")
    assert case.height is None and case.megapixels == 0.0 and case.size_label == "seq 128"
    assert [i.name for i in case.inputs] == ["input_ids", "attention_mask", "token_type_ids"]
    assert case.input_shapes() == {name: (1, 128) for name in ("input_ids", "attention_mask", "token_type_ids")}
    assert "int64[batch, seq]" in case.input_spec
    assert Case.from_dict(case.to_dict()) == case and "height" not in case.to_dict()
