#!/usr/bin/env bash
# Makes sure a Docker daemon answers: installs Debian's docker.io if dockerd is missing and
# starts dockerd without bridge networking (containers here use --network none or host only).
set -euo pipefail
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "installing docker.io and debootstrap" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
if docker info >/dev/null 2>&1; then exit 0; fi
log=${DOCKERD_LOG:-/tmp/whittle-dockerd.log}
echo "starting dockerd (log: $log)" >&2
nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log" >&2
tail -n 20 "$log" >&2 || true
exit 1
