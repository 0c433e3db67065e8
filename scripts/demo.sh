#!/usr/bin/env bash
# The main job on a fresh machine: start Docker (installing it if needed), build whittle and a
# fat fixture image, slim it, print the comparison, and run the slimmed image to show it works.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/start-docker.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
fixture=${1:-cgo-go}
bash fixtures/build.sh "$fixture" >/dev/null
src="whittle-fixture/$fixture:latest"
node dist/cli.js slim "docker-daemon:$src" --tag "whittle-demo/$fixture:slim"
echo
echo "original:"; docker run --rm --network none "$src" || true
echo "slimmed:";  docker run --rm --network none "whittle-demo/$fixture:slim"
