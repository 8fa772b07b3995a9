#!/usr/bin/env bash
# Burrow's container entrypoint: conf/burrow.toml filled in from the BURROW_* environment (as scripts/run fills it
# for a local cluster), then Burrow in the foreground. Also run as a plain process by the interop suite. (Not
# BURROW_* names: Burrow reads any BURROW_<KEY> variable as its config key <key>, which would replace a section.)
#   SWIFTKAFKA_BOOTSTRAP   brokers, host:port[,host:port...]
#   SWIFTKAFKA_ZOOKEEPER   the cluster's ZooKeeper, host:port (Burrow's own znodes go under /burrow)
#   SWIFTKAFKA_CHROOT      the brokers' chroot, where /consumers lives (default /kafka)
#   SWIFTKAFKA_BURROW_HTTP        Burrow's HTTP address (default 0.0.0.0:8000)
#   SWIFTKAFKA_BURROW_DIR    where the filled-in config, the pid file and the log go
#   SWIFTKAFKA_BURROW_TEMPLATE, SWIFTKAFKA_COMMON: the template and scripts/lib/common.sh (the image's copies by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
common=${SWIFTKAFKA_COMMON:-/usr/local/lib/swiftkafka/common.sh}
[ -f "$common" ] || common=$here/../scripts/lib/common.sh
template=${SWIFTKAFKA_BURROW_TEMPLATE:-/etc/swiftkafka/burrow.toml}
[ -f "$template" ] || template=$here/../conf/burrow.toml
source "$common"
data_dir=${SWIFTKAFKA_BURROW_DIR:-/var/lib/burrow}
mkdir -p "$data_dir"
render_burrow_config "$template" "$data_dir/burrow.toml" "$data_dir" "${SWIFTKAFKA_BOOTSTRAP:?}" "${SWIFTKAFKA_ZOOKEEPER:?}" \
  "${SWIFTKAFKA_CHROOT:-/kafka}" "${SWIFTKAFKA_BURROW_HTTP:-0.0.0.0:8000}"
exec "${SWIFTKAFKA_BURROW_BINARY:-Burrow}" --config-dir "$data_dir"
