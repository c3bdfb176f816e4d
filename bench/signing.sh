#!/usr/bin/env bash
# Cost of one signature per algorithm inside the worker (issue 2). Builds the full release
# worker first. COUNT (default 200) signatures per probe request.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/bootstrap.sh
bash scripts/build-worker.sh
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
SKIP_WORKER_BUILD=1 cargo bench --bench signing
