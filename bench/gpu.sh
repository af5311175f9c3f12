#!/usr/bin/env bash
# Every GPU check in one go, for a lent CUDA machine whose Python already holds HollyWool's dependencies:
# bench/gpu_check.py (each file kind and memory plan on the card), bench/load.py (cold load of a full-size SD 1.5
# file) and the split-file / fp8 / GGUF tests on CUDA. Logs go to $OUT (or /tmp/hollywool-gpu).
set -uo pipefail
out=${OUT:-/tmp/hollywool-gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HOLLYWOOL_TEST_MODELS=${HOLLYWOOL_TEST_MODELS:-/tmp/tiny-models}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
timeout "${CHECK_S:-240}" python3 bench/gpu_check.py 2>&1 | grep -v -i "warning\|deprecat\|warnings.warn" | tee "$out/gpu_check.txt"
timeout "${LOAD_S:-150}" python3 bench/load.py --runs 1 2>&1 | tee "$out/load.txt"
timeout "${TESTS_S:-200}" python3 -m pytest -q -p no:cacheprovider -W ignore tests/image/test_split_new_families.py \
  tests/image/test_split_gguf_new_families.py tests/image/test_gguf_text_encoders.py 2>&1 | tee "$out/tests.txt"
