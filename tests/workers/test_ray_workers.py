"""The same behaviours as test_local_workers.py with the GPU workers as Ray actors on a real local Ray cluster:
a head and two worker nodes, each offering one `hollywool_gpu` resource standing for a GPU."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from tests.workers.conftest import running_job, wait_done, wait_for, worker_studio, workers

# The tests themselves are test_local_workers.py's, test_user_files.py's and test_worker_settings.py's, run here
# against the Ray studio below (pytest collects them from this module too, with this module's `two_workers`).
from tests.workers.test_local_workers import (  # noqa: F401
    test_a_drained_worker_takes_no_new_jobs,
    test_a_jobs_images_travel_with_it_to_a_worker_without_the_data_folder,
    test_a_killed_worker_is_replaced_and_its_job_finishes_elsewhere,
    test_a_model_added_after_the_workers_started_runs_on_them,
    test_a_model_missing_on_the_workers_machine_fails_naming_the_machine_and_the_files,
    test_a_worker_that_dies_while_idle_is_replaced_without_charging_a_job,
    test_jobs_for_the_same_model_go_to_the_warm_worker,
    test_progress_previews_and_cancel_cross_the_process_boundary,
    test_two_models_run_at_the_same_time,
)
from tests.workers.test_user_files import (  # noqa: F401
    test_a_lora_in_a_models_folder_gives_the_in_process_picture,
    test_a_lora_missing_on_the_workers_machine_fails_naming_the_machine_and_the_path,
    test_a_user_controlnet_steers_a_job_on_a_worker,
    test_an_upscaler_file_in_the_studios_folder_upscales_on_a_worker,
)
from tests.workers.test_worker_settings import (  # noqa: F401
    test_a_job_waiting_for_a_worker_says_why,
    test_a_workers_budget_follows_the_settings_from_its_start,
    test_loaded_flags_and_the_submit_check_read_the_workers,
)

if TYPE_CHECKING:
    from ray.cluster_utils import Cluster

pytestmark = pytest.mark.ray

RESOURCE = "hollywool_gpu"


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Cluster]:
    from ray.cluster_utils import Cluster

    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "HOLLYWOOL_RAY_RESOURCE")}
    os.environ["RAY_AUTH_MODE"] = "disabled"
    os.environ["HOLLYWOOL_RAY_RESOURCE"] = RESOURCE
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(num_cpus=1, resources={RESOURCE: 1})
    cluster.wait_for_nodes()
    try:
        yield cluster
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def two_workers(ray_cluster, tiny_model, tmp_path_factory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("ray-workers")
    with worker_studio(tiny_model, root, 300, ray_address=ray_cluster.address) as client:
        assert client.get("/api/system/workers").json()["mode"] == "ray"
        yield client


def test_each_ray_worker_is_on_its_own_node(two_workers):
    hosts = [w["host"] for w in two_workers.get("/api/system/workers").json()["workers"]]
    assert len(hosts) == 2 and len(set(hosts)) == 2, hosts


def test_a_node_that_leaves_gives_its_job_back_and_a_new_node_takes_its_place(two_workers, ray_cluster):
    client = two_workers
    job_id, running = running_job(client)
    node_prefix = running["host"].rsplit("/", 1)[1]
    (node,) = [n for n in ray_cluster.worker_nodes if n.node_id.startswith(node_prefix)]
    ray_cluster.remove_node(node, allow_graceful=False)

    job = wait_done(client, job_id)
    assert job["status"] == "completed" and job["attempts"] == 2, job
    assert job["ran_on"]["worker_id"] != running["id"] and len(job["images"]) == 1
    # A node offering the resource joins: the lost worker is placed there and takes jobs again.
    ray_cluster.add_node(num_cpus=1, resources={RESOURCE: 1})
    back = wait_for(
        lambda: w if (w := workers(client)[running["id"]])["status"] == "idle" else None, 300, "a new worker"
    )
    assert back["host"] != running["host"] and back["restarts"] >= 1
