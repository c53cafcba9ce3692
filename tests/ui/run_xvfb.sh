#!/bin/bash
# run_xvfb.sh OUT_DIR COMMAND [ARGS...]: run COMMAND with DISPLAY set to a private Xvfb (see ui_lib.sh).
set -euo pipefail
out=$1
shift
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=../integration/ui_lib.sh
. "$(dirname "$0")/../integration/ui_lib.sh"
fresh_dir "$out"
start_xvfb "$out"
"$@"
