# Shared by the scripts in scripts/: installing what SwiftKafka needs on a fresh Debian 12 machine, and running
# Apache ZooKeeper from Debian's package without systemd. Source it; it defines functions only.

# Debian packages the build, the tests and the run command need.
SWIFTKAFKA_APT_PACKAGES=(
  zookeeper            # the ZooKeeper server (and a JRE) the harness and scripts/run start
  libzookeeper-mt-dev  # the C client library behind the CZooKeeper module
  zlib1g-dev           # gzip
  libsnappy-dev        # snappy
  liblz4-dev           # lz4
  libzstd-dev          # zstd
  libsqlite3-dev       # SQLite, which GRDB (the Connect worker's JDBC sink) links
  postgresql           # Debian's PostgreSQL server, which the Connect JDBC tests start (Tests/Interop/postgres_harness.py)
  kcat                 # a real Kafka client (librdkafka) for interop tests and for users
  python3-venv         # the interop suite's virtual environment
  iproute2             # network namespaces for the partition fault test
  nftables             # silent packet drops inside those namespaces
  docker-compose       # validates docker/docker-compose.yml (no Docker engine needed for `config`)
  burrow               # LinkedIn's consumer-lag checker (1.2.1), which the interop suite runs against the brokers
  golang-go            # Debian's Go (1.19), to build the interop suite's Go clients in GOPATH mode
  gcc                  # cgo, for Sarama's zstd dependency
  golang-github-shopify-sarama-dev      # Sarama 1.22 (its default protocol version is Kafka 0.8.2)
  golang-github-segmentio-kafka-go-dev  # kafka-go 0.2.1 (CreateTopics v0, message format v1)
  python3-confluent-kafka  # Debian's confluent-kafka 1.7.0 (librdkafka 2.0.2), the schema registry's old client
  chromium             # the headless browser the console's tests drive
  chromium-driver      # its WebDriver (chromedriver), for Selenium
)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Installs whichever of the packages are missing (apt-get update first, once).
ensure_apt_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_venv DIR REQUIREMENTS [PYTHON [VENV-OPTION...]]: a Python virtual environment made by PYTHON (python3 by
# default) with the requirements installed (again when they or the options change).
ensure_venv() {
  local dir=$1 requirements=$2 python=${3:-python3} stamp
  local options=("${@:4}")
  stamp="$(sha256sum "$requirements" | cut -d' ' -f1)${3:+ $python ${options[*]}}"
  if [ ! -x "$dir/bin/python" ] || [ "$(cat "$dir/.requirements" 2>/dev/null)" != "$stamp" ]; then
    log "creating the Python environment in $dir"
    rm -rf "$dir"
    "$python" -m venv "${options[@]}" "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$stamp" > "$dir/.requirements"
  fi
}

# A release build of one product, as every script and the Docker image make it: with cross-module optimization, so
# the broker's modules specialize each other's generics instead of calling them through runtime metadata (measured,
# one broker: about 30% less CPU per small request, 1 KiB throughput +30%).
release_build() { swift build -c release -Xswiftc -cross-module-optimization "$@"; }

ensure_swift() {
  command -v swift >/dev/null || { log "swift is not on PATH: install Swift 6 (swift.org) first"; exit 1; }
}

ZOOKEEPER_CLASSPATH=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar

# start_zookeeper DIR PORT: a standalone ZooKeeper with its data and log under DIR, on 127.0.0.1:PORT.
# Sets ZOOKEEPER_PID to the server's PID (not printed: a $(...) subshell would not be its parent).
start_zookeeper() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  cat > "$dir/zoo.cfg" <<CFG
tickTime=2000
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=srvr,ruok,stat,mntr,conf,cons,wchs,isro
preAllocSize=1024
CFG
  cat > "$dir/log4j.properties" <<'CFG'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
CFG
  java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j.configuration="file:$dir/log4j.properties" \
    -cp "$ZOOKEEPER_CLASSPATH" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
    >"$dir/zookeeper.log" 2>&1 </dev/null &
  ZOOKEEPER_PID=$!
}

# zookeeper_mode PORT: the server's Mode (standalone/leader/follower) when it serves, else nothing.
zookeeper_mode() {
  local port=$1 reply
  reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf srvr >&3 && cat <&3" 2>/dev/null) || return 0
  sed -n 's/^Mode: //p' <<<"$reply"
}

# wait_for_zookeeper PORT [SECONDS]
wait_for_zookeeper() {
  local port=$1 limit=${2:-30} i
  for ((i = 0; i < limit * 10; i++)); do
    [ -n "$(zookeeper_mode "$port")" ] && return 0
    sleep 0.1
  done
  log "ZooKeeper did not serve on 127.0.0.1:$port within ${limit}s"
  return 1
}

# render_burrow_config TEMPLATE OUT DATA_DIR BOOTSTRAP ZOOKEEPER CHROOT HTTP_ADDRESS: conf/burrow.toml (TEMPLATE) with
# its @...@ values filled in; BOOTSTRAP is host:port[,host:port...]. Used by scripts/run and docker's Burrow image.
render_burrow_config() {
  local template=$1 out=$2 data_dir=$3 bootstrap=$4 zookeeper=$5 chroot=$6 http=$7 servers="" server
  for server in ${bootstrap//,/ }; do servers+="${servers:+,}\"$server\""; done
  sed -e "s|@DATA_DIR@|$data_dir|g" -e "s|@BOOTSTRAP@|$servers|g" -e "s|@ZOOKEEPER@|$zookeeper|g" \
    -e "s|@CHROOT@|$chroot|g" -e "s|@HTTP_ADDRESS@|$http|g" "$template" >"$out"
}

# port_in_use PORT
port_in_use() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL. Only for processes this script started.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# make_secure_settings DIR [HOST...]: what `scripts/run --secure` and docker/make-secrets need, made once and kept: a
# CA and a broker certificate for localhost/127.0.0.1 and each HOST (openssl), generated passwords for the PLAIN
# users admin and broker (their JAAS line for a listener, plain-users.jaas: the broker logs in to other brokers as
# broker where the inter-broker listener uses PLAIN; client.properties and kcat.conf for clients as admin; mode 600),
# and the brokers' ZooKeeper identity (zookeeper_jaas.conf).
make_secure_settings() {
  local dir=$1
  shift
  local san="DNS:localhost,IP:127.0.0.1" host
  for host in "$@"; do san="$san,DNS:$host"; done
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ ! -f "$dir/broker.pem" ]; then
    (
      cd "$dir"
      openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=swiftkafka-dev-ca" -keyout ca.key -out ca.crt 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout broker.key -out broker.csr 2>/dev/null
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > broker.cnf
      openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile broker.cnf \
        -out broker.crt 2>/dev/null
      (umask 077; cat broker.crt broker.key > broker.pem)
      rm -f broker.csr
    )
  fi
  if [ ! -f "$dir/client.properties" ]; then
    local password broker_password zk_password
    password=$(openssl rand -hex 16)
    broker_password=$(openssl rand -hex 16)
    zk_password=$(openssl rand -hex 16)
    (
      umask 077
      printf 'org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="%s" user_broker="%s" user_admin="%s";' \
        "$broker_password" "$broker_password" "$password" > "$dir/plain-users.jaas"
      cat > "$dir/client.properties" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$password";
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.crt
PROPERTIES
      cat > "$dir/kcat.conf" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=admin
sasl.password=$password
ssl.ca.location=$dir/ca.crt
PROPERTIES
      cat > "$dir/zookeeper_jaas.conf" <<JAAS
Client {
  org.apache.zookeeper.server.auth.DigestLoginModule required username="swiftkafka" password="$zk_password";
};
JAAS
    )
  fi
}
