#!/bin/sh
# refdata-check.sh KIND: run ../shared/refdata/check-cli on the built
# client for KIND (trend or goals). A missing reference folder fails the
# test and names the path; it never skips.
set -u
kind=$1
refdata=${WATERSHED_REFDATA:-}
if [ -z "$refdata" ] || [ ! -x "$refdata/check-cli" ]; then
    echo "reference data not found at '$refdata' (check-cli missing);" \
         "set the CMake cache variable WATERSHED_REFDATA" >&2
    exit 1
fi
exec python3 "$refdata/check-cli" "$WS_BUILD_DIR/cli/watershed" "$kind"
