#!/usr/bin/env bash
# Sign-ins per second (issue 3): SSO-session and fresh password sign-ins through the real
# worker, and the share of a fresh sign-in spent hashing. Builds the full release worker first.
# CONCURRENCY (default 16) and SECONDS (default 10) tune the run.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$ROOT"
bash scripts/bootstrap.sh
bash scripts/build-worker.sh
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
SKIP_WORKER_BUILD=1 cargo bench --bench signin
