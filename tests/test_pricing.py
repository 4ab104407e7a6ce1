"""The catalog (sources, as-of dates, user files, SkyPilot) and the cost model's arithmetic."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from infercost.cli import cli
from infercost.errors import CatalogError, UsageError
from infercost.pricing import HOURS_PER_MONTH, estimate, load_catalog
from infercost.pricing.cost import cost_per_inference, instances_needed, monthly_capacity, throughput

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(("instance", "price"), [("p3.2xlarge", 3.06), ("g4dn.xlarge", 0.526),
                                                 ("g6.xlarge", 0.8048), ("p2.xlarge", 0.90)])
def test_cost_of_a_latency(instance, price):
    result = run("cost", "--instance", instance, "--latency-ms", "250", "--json")
    data = json.loads(result.output)
    assert data["cost_per_inference_usd"] == pytest.approx(price / 3600 / 4, rel=1e-12)
    assert data["price_per_hour_usd"] == price
    for key in ("instance", "batch_size", "latency_s", "throughput_per_s", "cost_per_million_usd",
                "monthly_price_usd", "monthly_capacity", "pricing"):
        assert key in data


def test_p3_is_exactly_the_classic_figure():
    assert estimate(3.06, 0.25).cost_per_inference_usd == 0.0002125


def test_cost_model_arithmetic():
    assert throughput(8, 0.5) == 16
    assert cost_per_inference(3.6, 10.0) == pytest.approx(1e-4)
    assert monthly_capacity(1.0) == 3600 * HOURS_PER_MONTH
    assert instances_needed(10.0, qps=25) == 3
    assert instances_needed(10.0, qps=20) == 2
    assert instances_needed(10.0, monthly_requests=10 * 3600 * HOURS_PER_MONTH) == 1
    est = estimate(1.0, 0.1, batch_size=4, qps=100)
    assert est.throughput_per_s == 40 and est.instances_needed == 3
    assert est.monthly_cost_usd == pytest.approx(3 * HOURS_PER_MONTH)
    assert est.inferences_per_usd == pytest.approx(1 / est.cost_per_inference_usd)


@pytest.mark.parametrize(("price", "latency"), [(0, 0.1), (-1, 0.1), (1, 0), (1, -0.5)])
def test_bad_numbers_are_usage_errors(price, latency):
    with pytest.raises(UsageError):
        estimate(price, latency)


def test_spot_pricing():
    data = json.loads(run("cost", "--instance", "g4dn.xlarge", "--latency-ms", "100", "--spot", "--json").output)
    assert data["price_per_hour_usd"] == 0.201 and data["pricing"] == "spot"


def test_catalog_size_sources_and_reference_coverage():
    data = json.loads(run("catalog", "list", "--json").output)
    instances, accelerators = data["instances"], data["accelerators"]
    assert len(instances) >= 40
    assert {i["provider"] for i in instances} >= {"aws", "gcp", "azure"}
    assert all(row["source"] and row["as_of"] for row in instances + accelerators)
    names = {i["name"] for i in instances}
    for family in ("g4dn", "g5", "g6", "g6e", "p4d", "p4de", "p5", "p5en", "inf1", "inf2", "c5", "c6i", "c7i",
                   "c7a", "c7g", "m5"):
        assert any(n.startswith(family + ".") for n in names), family
    assert {"p2.xlarge", "p3.2xlarge", "g3.4xlarge", "g3s.xlarge"} <= names
    accel_names = {a["name"] for a in accelerators}
    for chip in ("K80", "M60", "V100", "T4", "A10G", "L4", "L40S", "A100-40GB", "A100-80GB", "H100", "H200",
                 "Inferentia", "Inferentia2", "eia1.medium", "eia2.xlarge"):
        assert chip in accel_names


@pytest.mark.skipif(not (REFERENCE / "instances.csv").exists(), reason="shared/reference not beside the checkout")
def test_every_reference_instance_price_is_carried_over():
    catalog = load_catalog()
    with open(REFERENCE / "instances.csv") as fh:
        for row in csv.DictReader(fh):
            if row["usd_per_hour_on_demand"] in ("", "unknown"):
                continue
            assert catalog.instance(row["instance"]).price_per_hour_usd == float(row["usd_per_hour_on_demand"])


def test_elastic_inference_is_host_plus_accelerator():
    catalog = load_catalog()
    combo = catalog.instance("c5.large+eia2.medium")
    assert combo.price_per_hour_usd == pytest.approx(0.085 + 0.12)
    assert combo.status == "retired" and combo.accelerator == "eia2.medium"
    assert any(i.name == "c5.xlarge+eia1.large" for i in catalog.listing(provider="aws"))


def test_unknown_instance_suggests_three():
    result = run("cost", "--instance", "p3.2xlarg", "--latency-ms", "10")
    assert result.exit_code == 2
    assert "p3.2xlarge" in result.output and result.output.count(",") >= 2


def test_user_yaml_overrides_and_adds(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("instances:\n  - {provider: aws, name: g4dn.xlarge, price_per_hour_usd: 0.40}\n"
                    "  - {provider: onprem, name: lab-box, price_per_hour_usd: 0.05, accelerator: T4,"
                    " accelerator_count: 1}\n")
    catalog = load_catalog(path)
    assert catalog.instance("g4dn.xlarge").price_per_hour_usd == 0.40
    assert catalog.instance("lab-box").source == "user catalog mine.yaml"


def test_malformed_row_names_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("provider,name,price_per_hour_usd\naws,ok.large,0.1\naws,bad.large,-3\n")
    with pytest.raises(CatalogError, match=r"bad.csv:3: price_per_hour_usd"):
        load_catalog(path)
    result = run("catalog", "list", "--catalog", str(path))
    assert result.exit_code == 2 and "bad.csv:3" in result.output


def test_skypilot_vms_csv_loads_as_is(tmp_path):
    path = tmp_path / "vms.csv"
    path.write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
        "AvailabilityZone\n"
        "g6.xlarge,L4,1.0,4.0,16.0,\"{'Gpus': []}\",0.8048,0.41,us-east-1,use1-az1\n"
        "g6.xlarge,L4,1.0,4.0,16.0,\"{'Gpus': []}\",0.9,,us-west-2,usw2-az1\n"
        "x9.huge,A100,8.0,96.0,1152.0,,,,us-east-1,use1-az1\n"
        "c7i.large,,,2.0,4.0,,0.08925,0.03,us-east-1,use1-az2\n")
    catalog = load_catalog(path)
    assert catalog.instance("g6.xlarge").price_per_hour_usd == 0.8048
    assert catalog.instance("c7i.large").accelerator is None
    assert "x9.huge" not in catalog.instances  # no price anywhere


def test_cost_from_results(tmp_path):
    from infercost.results import ResultsStore
    from tests.test_store import make_record

    ResultsStore(tmp_path).append(make_record(batch=2, samples=(0.1, 0.1, 0.1)))
    rows = json.loads(run("cost", "--results", str(tmp_path), "--price-per-hour", "0.10", "--json").output)
    assert rows[0]["priced"] and rows[0]["cost_per_inference_usd"] == pytest.approx(0.10 / 3600 / 20)
    unpriced = json.loads(run("cost", "--results", str(tmp_path), "--json").output)
    assert not unpriced[0]["priced"] and "--price-per-hour" in unpriced[0]["reason"]


def test_cost_rows_name_a_token_models_size(tmp_path):
    from infercost.case import Case
    from infercost.inputs import Input
    from infercost.results import Record, ResultsStore

    case = Case("bert-base", height=None, width=None, options=(("dims", "seq=128"),),
                inputs=(Input("input_ids", "int64", ("batch", "seq")),))
    ResultsStore(tmp_path).append(Record.for_case(case, run_id="r1", status="ok", env={"host": "h"},
                                                  timing={"method": "adaptive"}).with_samples([0.1, 0.1, 0.1]))
    rows = json.loads(run("cost", "--results", str(tmp_path), "--price-per-hour", "0.10", "--json").output)
    assert rows[0]["size"] == "seq 128"
    table = run("cost", "--results", str(tmp_path), "--price-per-hour", "0.10").output
    assert "seq 128" in table and "None" not in table
