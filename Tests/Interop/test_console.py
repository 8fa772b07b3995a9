"""swiftkafka-console in Debian's headless Chromium (Selenium through chromedriver) against a live three-broker
cluster: every page loads without a browser console error, the overview's counts equal what the admin clients
report, the forms create a topic, change a config, produce, and reset a group's offsets (checked with the admin
client and `swiftkafka-admin consumer-groups --describe`), a ZooKeeper-offsets group shows its lag, read-only mode
shows no form and refuses a forged POST, a wrong login and a POST without the CSRF token are refused, and a killed
broker's partitions show under-replicated. Each page's screenshot goes to $SWIFTKAFKA_SCREENSHOTS (the README's
come from there) or the test's temporary directory."""
import hashlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BROKER, free_port, register, stop, wait_for
from replication_harness import Cluster

CONSOLE = os.path.join(os.path.dirname(BROKER), "swiftkafka-console")
ADMIN = os.path.join(os.path.dirname(BROKER), "swiftkafka-admin")
PASSWORDS = {"ann": "ann-secret", "vic": "vic-secret"}


class Console:
    """A swiftkafka-console process with the given properties; `url` is where it serves."""

    def __init__(self, directory, properties):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.path = f"{directory}/console-{self.port}.properties"
        values = {"listeners": self.url, "console.data.dir": f"{directory}/data-{self.port}",
                  "console.sample.interval.ms": "1000", "console.live.interval.ms": "1000", **properties}
        with open(self.path, "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in values.items()))
        self.log_path = f"{directory}/console-{self.port}.log"
        self.start()

    def start(self):
        self.process = subprocess.Popen([CONSOLE, self.path], stdout=open(self.log_path, "a"),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        register(self.process.pid)
        try:
            wait_for(lambda: self.healthy() or self.process.poll() is not None, 60, "the console listening")
            assert self.process.poll() is None, open(self.log_path).read()
        except AssertionError:
            stop(self.process)  # not left running when it did not come up
            raise

    def healthy(self):
        try:
            return fetch(self.url + "/health")[0] == 200
        except OSError:
            return False

    def log(self):
        with open(self.log_path) as f:
            return f.read()


def hashed(password):
    return hashlib.sha256(password.encode()).hexdigest()


@pytest.fixture(scope="module")
def setup():
    # Brokers with their Prometheus endpoints (metrics.port), which the console discovers and charts.
    cluster = Cluster(per_broker={i: {"metrics.port": str(free_port())} for i in (1, 2, 3)})
    directory = tempfile.mkdtemp(prefix="swiftkafka-console-")
    consoles = []
    import shutil
    try:
        cluster.create_topic("orders", 6, 3)
        # murmur2_random: the Java client's default partitioner, which the console's key search assumes.
        producer = Producer({"bootstrap.servers": cluster.bootstrap, "partitioner": "murmur2_random"})
        for i in range(600):
            producer.produce("orders", key=f"customer-{i % 40}",
                             value=json.dumps({"order": i, "customer": {"id": i % 40}}), headers=[("source", b"test")])
        producer.flush(30)
        consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "billing",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(["orders"])
        read = 0
        deadline = time.time() + 60
        while read < 250 and time.time() < deadline:
            message = consumer.poll(1)
            if message is not None and not message.error():
                read += 1
        consumer.commit(asynchronous=False)
        consumer.close()
        # A group of Kafka's old ZooKeeper consumers: its offsets live in /consumers, where no ListGroups names it.
        for partition, offset in {0: 10, 1: 20}.items():
            cluster.zk.ensure_path(f"/consumers/legacy/offsets/orders/{partition}")
            cluster.zk.set(f"/consumers/legacy/offsets/orders/{partition}", str(offset).encode())
        common = {"bootstrap.servers": cluster.bootstrap, "zookeeper.connect": cluster.zookeeper.connect}
        users = ",".join([f"ann:admin:{hashed(PASSWORDS['ann'])}", f"vic:viewer:{hashed(PASSWORDS['vic'])}"])
        writable = Console(directory, dict(common, **{"console.read.only": "false", "console.users": users}))
        consoles.append(writable)
        read_only = Console(directory, common)
        consoles.append(read_only)
        yield cluster, writable, read_only
    finally:
        for console in consoles:
            stop(console.process)
        cluster.close()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots():
    directory = os.environ.get("SWIFTKAFKA_SCREENSHOTS") or tempfile.mkdtemp(prefix="swiftkafka-screenshots-")
    os.makedirs(directory, exist_ok=True)
    return directory


def by_id(driver, name):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def all_by_id(driver, name):
    return driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{name}"]')


def no_console_errors(driver):
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def log_in(driver, console, user):
    driver.get(console.url + "/")
    assert driver.current_url.startswith(console.url + "/login"), driver.current_url
    by_id(driver, "login-user").send_keys(user)
    by_id(driver, "login-password").send_keys(PASSWORDS[user])
    by_id(driver, "login-submit").click()
    wait_for(lambda: all_by_id(driver, "user"), 10, "logged in")
    assert by_id(driver, "user").text == f"{user} ({'admin' if user == 'ann' else 'viewer'})"


def fetch(url, data=None, headers=None):
    """(status, body) of a plain HTTP request (no browser)."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data is not None else None,
                                     headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def api(console, path, session=None):
    status, body = fetch(console.url + path, headers={"Accept": "application/json",
                                                      **({"Cookie": session} if session else {})})
    assert status == 200, (path, status, body)
    return json.loads(body)


def test_every_page_loads_and_the_overview_matches_the_admin_client(setup, browser, shots):
    cluster, console, _ = setup
    log_in(browser, console, "ann")
    metadata = AdminClient({"bootstrap.servers": cluster.bootstrap}).list_topics(timeout=30)
    partitions = sum(len(t.partitions) for t in metadata.topics.values())
    browser.get(console.url + "/")
    assert int(by_id(browser, "brokers-count").text) == len(metadata.brokers) == 3
    assert int(by_id(browser, "controller").text) == metadata.controller_id
    assert int(by_id(browser, "topics-count").text) == len(metadata.topics)
    assert int(by_id(browser, "partitions-count").text) == partitions
    assert int(by_id(browser, "online-count").text) == partitions
    assert by_id(browser, "under-replicated-count").text == "0"
    epoch = json.loads(cluster.zk.get("/controller_epoch")[0])
    assert int(by_id(browser, "controller-epoch").text) == epoch
    wait_for(lambda: browser.get(console.url + "/") or all_by_id(browser, "invariants-verdict"), 30, "an invariant check")
    assert by_id(browser, "invariants-verdict").text == "ok"
    browser.save_screenshot(f"{shots}/overview.png")
    pages = {"brokers": "/brokers", "broker": "/brokers/2", "topics": "/topics", "topic": "/topics/orders",
             "messages": "/topics/orders/messages?limit=20", "groups": "/groups", "group": "/groups/billing",
             "zookeeper-group": "/groups/legacy?store=zookeeper", "invariants": "/invariants",
             "zookeeper": "/zookeeper?path=/brokers/topics/orders/partitions/0/state"}
    for name, path in pages.items():
        browser.get(console.url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, name
        assert not all_by_id(browser, "error"), (name, browser.page_source[:2000])
        browser.save_screenshot(f"{shots}/{name}.png")
    no_console_errors(browser)
    # The ZooKeeper page decodes the partition state znode as the controller wrote it.
    state = json.loads(cluster.zk.get("/brokers/topics/orders/partitions/0/state")[0])
    shown = json.loads(by_id(browser, "znode-data").text)
    assert shown == state


def test_topics_page_and_partitions_match_the_cluster(setup, browser):
    cluster, console, _ = setup
    browser.get(console.url + "/topics?q=ord")
    rows = browser.find_elements(By.CSS_SELECTOR, '[data-testid^="topic-row-"]')
    assert [r.get_attribute("data-testid") for r in rows] == ["topic-row-orders"]
    assert int(by_id(browser, "topic-messages-orders").text) == 600
    browser.get(console.url + "/topics/orders")
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "watermarks"})
    states = cluster.states("orders")
    for partition in range(6):
        low, high = consumer.get_watermark_offsets(TopicPartition("orders", partition), timeout=30)
        row = by_id(browser, f"partition-{partition}").find_elements(By.TAG_NAME, "td")
        assert int(row[1].text) == states[partition]["leader"]
        assert row[4].text.split()[0] == ",".join(map(str, states[partition]["isr"]))
        assert (int(row[5].text), int(row[6].text)) == (low, high)
    consumer.close()


def test_create_a_topic_and_change_its_config_through_the_forms(setup, browser):
    cluster, console, _ = setup
    browser.get(console.url + "/topics")
    by_id(browser, "create-topic-name").send_keys("payments")
    partitions = by_id(browser, "create-topic-partitions")
    partitions.clear()
    partitions.send_keys("4")
    replication = by_id(browser, "create-topic-replication")
    replication.clear()
    replication.send_keys("2")
    by_id(browser, "create-topic-configs").send_keys("cleanup.policy=compact")
    by_id(browser, "create-topic-submit").click()
    wait_for(lambda: "/topics/payments" in browser.current_url, 30, "the new topic's page")
    assert "Topic payments created" in by_id(browser, "flash").text
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    topic = admin.list_topics("payments", timeout=30).topics["payments"]
    assert len(topic.partitions) == 4 and all(len(p.replicas) == 2 for p in topic.partitions.values())

    by_id(browser, "config-name").send_keys("retention.ms")
    by_id(browser, "config-value").send_keys("3600000")
    by_id(browser, "config-submit").click()
    wait_for(lambda: all_by_id(browser, "flash"), 30, "the config's answer")
    assert by_id(browser, "flash").text == "retention.ms set to 3600000"
    resource = ConfigResource("topic", "payments")
    configs = admin.describe_configs([resource])[resource].result(30)
    assert configs["retention.ms"].value == "3600000" and configs["cleanup.policy"].value == "compact"
    assert by_id(browser, "config-value-retention.ms").text == "3600000"
    no_console_errors(browser)
    # An invalid value: the broker's validation, shown as the error (a 400, which the browser logs: that one only).
    by_id(browser, "config-name").send_keys("retention.ms")
    by_id(browser, "config-value").send_keys("forever")
    by_id(browser, "config-submit").click()
    wait_for(lambda: all_by_id(browser, "error"), 30, "the refusal")
    assert "forever" in by_id(browser, "error").text, by_id(browser, "error").text
    assert admin.describe_configs([resource])[resource].result(30)["retention.ms"].value == "3600000"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert len(errors) == 1 and "/topics/payments/configs" in errors[0] and "400" in errors[0], errors


def test_produce_through_the_form_and_find_the_message(setup, browser):
    cluster, console, _ = setup
    browser.get(console.url + "/topics/orders/messages")
    by_id(browser, "produce-key").send_keys("customer-7")
    by_id(browser, "produce-value").send_keys('{"order": "from the browser", "customer": {"id": 7}}')
    by_id(browser, "produce-headers").send_keys("trace: abc123")
    by_id(browser, "produce-submit").click()
    wait_for(lambda: all_by_id(browser, "flash"), 30, "the produce answer")
    match = re.fullmatch(r"Produced to partition (\d+) at offset (\d+)", by_id(browser, "flash").text)
    assert match, by_id(browser, "flash").text
    partition, offset = int(match.group(1)), int(match.group(2))
    row = by_id(browser, f"message-{partition}-{offset}")
    assert row.find_element(By.CSS_SELECTOR, '[data-testid="message-key"]').text == "customer-7"
    assert json.loads(row.find_element(By.CSS_SELECTOR, '[data-testid="message-value"]').text)["order"] == \
        "from the browser"
    assert row.find_element(By.CSS_SELECTOR, '[data-testid="message-header"]').text == "trace: abc123"
    # The record as a real client reads it.
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "checker"})
    consumer.assign([TopicPartition("orders", partition, offset)])
    message = consumer.poll(30)
    consumer.close()
    assert message.key() == b"customer-7" and message.headers() == [("trace", b"abc123")]

    # A key search reads only the key's partition (the default partitioner's) and finds every record of the key.
    by_id(browser, "query-key").send_keys("customer-7")
    by_id(browser, "query-limit").clear()
    by_id(browser, "query-limit").send_keys("100")
    by_id(browser, "query-submit").click()
    wait_for(lambda: "key=customer-7" in browser.current_url, 10, "the search")
    rows = browser.find_elements(By.CSS_SELECTOR, 'tr[data-testid^="message-"] td:nth-child(1)')
    shown = {int(cell.text) for cell in rows}
    assert shown == {partition}
    keys = [e.text for e in all_by_id(browser, "message-key")]
    assert keys == ["customer-7"] * 16, keys  # 600 records over 40 keys, and the one from the form
    assert re.search(rf"read from partition\(s\) {partition} in", by_id(browser, "scan-summary").text)
    no_console_errors(browser)


def test_reset_a_groups_offsets_dry_run_then_execute(setup, browser):
    cluster, console, _ = setup
    browser.get(console.url + "/groups")
    assert all_by_id(browser, "group-row-kafka-billing") and all_by_id(browser, "group-row-zookeeper-legacy")
    browser.get(console.url + "/groups/billing")
    before = {p: int(by_id(browser, f"committed-orders-{p}").text)
              for p in range(6) if all_by_id(browser, f"committed-orders-{p}")}
    Select(by_id(browser, "reset-strategy")).select_by_value("earliest")
    by_id(browser, "reset-dry-run").click()
    wait_for(lambda: all_by_id(browser, "reset-outcome"), 30, "the dry run")
    assert by_id(browser, "reset-outcome").text.startswith("Dry run")
    assert all(by_id(browser, f"reset-new-orders-{p}").text == "0" for p in before)
    described = subprocess.run([ADMIN, "consumer-groups", "--describe", "--group", "billing", "--bootstrap-server",
                                cluster.bootstrap], capture_output=True, text=True, timeout=60).stdout
    rows = [r.split() for r in described.splitlines()[2:] if r.strip()]
    assert {int(r[2]): int(r[3]) for r in rows if r[3] != "-"} == before, described

    browser.back()
    Select(by_id(browser, "reset-strategy")).select_by_value("offset")
    by_id(browser, "reset-value").send_keys("5")
    by_id(browser, "reset-execute").click()
    wait_for(lambda: all_by_id(browser, "reset-outcome"), 30, "the reset")
    assert by_id(browser, "reset-outcome").text.startswith("Executed")
    described = subprocess.run([ADMIN, "consumer-groups", "--describe", "--group", "billing", "--bootstrap-server",
                                cluster.bootstrap], capture_output=True, text=True, timeout=60).stdout
    rows = [r.split() for r in described.splitlines()[2:] if r.strip()]
    assert {int(r[2]): int(r[3]) for r in rows if r[3] != "-"} == {p: 5 for p in before}, described
    no_console_errors(browser)


def test_a_zookeeper_offsets_group_shows_its_lag(setup, browser):
    cluster, console, _ = setup
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "watermarks"})
    ends = {p: consumer.get_watermark_offsets(TopicPartition("orders", p), timeout=30)[1] for p in (0, 1)}
    consumer.close()
    browser.get(console.url + "/groups/legacy?store=zookeeper")
    assert int(by_id(browser, "lag-orders-0").text) == ends[0] - 10
    assert int(by_id(browser, "lag-orders-1").text) == ends[1] - 20
    assert int(by_id(browser, "group-lag").text) == ends[0] - 10 + ends[1] - 20
    browser.get(console.url + "/groups")
    assert int(by_id(browser, "group-lag-zookeeper-legacy").text) == ends[0] - 10 + ends[1] - 20


def test_a_viewer_sees_no_form_and_a_wrong_login_is_refused(setup, browser):
    _, console, _ = setup
    browser.delete_all_cookies()
    browser.get(console.url + "/login")
    by_id(browser, "login-user").send_keys("ann")
    by_id(browser, "login-password").send_keys("wrong")
    by_id(browser, "login-submit").click()
    wait_for(lambda: all_by_id(browser, "error"), 10, "the refusal")
    assert by_id(browser, "error").text == "Wrong user or password"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert len(errors) == 1 and "/login" in errors[0] and "401" in errors[0], errors
    assert not all_by_id(browser, "user")
    refusal = [line for line in console.log().splitlines() if "Console login refused" in line]
    assert refusal and "user=ann" in refusal[-1]
    assert "wrong" not in console.log() and PASSWORDS["ann"] not in console.log()  # no password logged
    log_in(browser, console, "vic")
    for path in ("/topics", "/topics/orders", "/topics/orders/messages", "/groups/billing"):
        browser.get(console.url + path)
        assert not browser.find_elements(By.CSS_SELECTOR, 'form[method="post"]:not([action="/logout"])'), path
    browser.delete_all_cookies()


def test_read_only_mode_and_csrf(setup, browser):
    cluster, _, read_only = setup
    browser.get(read_only.url + "/topics/orders/messages")
    assert by_id(browser, "read-only").text == "read-only"
    for path in ("/topics", "/topics/orders", "/topics/orders/messages", "/groups/billing"):
        browser.get(read_only.url + path)
        assert not browser.find_elements(By.CSS_SELECTOR, 'form[method="post"]'), path
    # A forged POST, even with the session's own CSRF token (from the page's meta tag): refused, nothing created.
    cookie = browser.get_cookie("swiftkafka_console")
    session = f"swiftkafka_console={cookie['value']}"
    token = browser.find_element(By.CSS_SELECTOR, 'meta[name="csrf-token"]').get_attribute("content")
    status, body = fetch(read_only.url + "/topics", {"name": "forged", "partitions": "1", "replication.factor": "1",
                                                      "csrf": token}, headers={"Cookie": session})
    assert status == 403 and "console.read.only=true" in body, body
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    assert "forged" not in admin.list_topics(timeout=30).topics
    # On the writable console: a POST without the session's token is refused, with it accepted.
    _, writable, _ = setup
    status, body = fetch(writable.url + "/login", {"user": "ann", "password": PASSWORDS["ann"]})
    assert status == 403 and "CSRF" in body
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    page = opener.open(writable.url + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    answer = opener.open(writable.url + "/login", urllib.parse.urlencode(
        {"csrf": token, "user": "ann", "password": PASSWORDS["ann"]}).encode(), timeout=30)
    page = answer.read().decode()
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    try:
        opener.open(writable.url + "/topics", urllib.parse.urlencode(
            {"name": "no-token", "partitions": "1", "replication.factor": "1"}).encode(), timeout=30)
        assert False, "a POST without the CSRF token was accepted"
    except urllib.error.HTTPError as error:
        assert error.code == 403
    assert "no-token" not in admin.list_topics(timeout=30).topics
    opener.open(writable.url + "/topics", urllib.parse.urlencode(
        {"csrf": token, "name": "with-token", "partitions": "1", "replication.factor": "1"}).encode(), timeout=30)
    assert "with-token" in admin.list_topics(timeout=30).topics
    # The JSON twin of a page, and the console's own health and metrics.
    assert fetch(writable.url + "/health")[0] == 200
    status, metrics = fetch(writable.url + "/metrics")
    assert status == 200 and 'swiftkafka_console_requests_total{method="POST",status="403"}' in metrics


def test_throughput_lag_history_and_its_survival_of_a_restart(setup, browser, shots):
    cluster, writable, read_only = setup
    producer = Producer({"bootstrap.servers": cluster.bootstrap})
    deadline = time.time() + 30
    def traffic():
        if time.time() < deadline:
            for i in range(200):
                producer.produce("orders", key=f"customer-{i % 40}", value=b"x" * 200)
            producer.flush(10)
        points = api(read_only, "/")["traffic"]
        return [p for p in points if p["bytesIn"] > 0 and p["messagesIn"] > 0] and points
    points = wait_for(traffic, 60, "traffic samples from the brokers' metrics endpoints")
    assert any(p["produceP99Ms"] is not None for p in points), points[-3:]
    browser.get(read_only.url + "/")
    assert "<polyline" in by_id(browser, "throughput-chart").get_attribute("innerHTML")
    browser.get(read_only.url + "/brokers/1")
    wait_for(lambda: browser.get(read_only.url + "/brokers/1")
             or "<polyline" in by_id(browser, "throughput-chart").get_attribute("innerHTML"), 30, "broker 1's chart")
    # billing lags (its offsets were reset to 5): its history has samples, in records and in seconds.
    group = wait_for(lambda: (g := api(read_only, "/groups/billing")) and len(g["lagHistory"]) >= 3 and g, 30,
                     "lag samples of billing")
    assert group["lagHistory"][-1]["records"] > 0
    assert group["lagHistory"][-1]["seconds"] > 0
    browser.get(read_only.url + "/groups/billing")
    assert "<polyline" in by_id(browser, "lag-chart").get_attribute("innerHTML")
    assert float(by_id(browser, "group-lag-seconds").text) > 0
    browser.save_screenshot(f"{shots}/group-lag.png")
    # The history is on disk: a restarted console still has the samples taken before.
    before = group["lagHistory"][0]["at"]
    stop(read_only.process)
    read_only.start()
    wait_for(read_only.healthy, 60, "the console back")
    again = api(read_only, "/groups/billing")
    assert again["lagHistory"] and again["lagHistory"][0]["at"] <= before, (before, again["lagHistory"][:2])


def test_a_killed_broker_shows_under_replicated_partitions(setup, browser, shots):
    cluster, _, read_only = setup
    browser.get(read_only.url + "/")
    assert by_id(browser, "under-replicated-count").text == "0"
    victim = cluster.brokers[3]
    os.kill(victim.process.pid, signal.SIGKILL)
    victim.process.wait()
    # The open page follows without a reload (server-sent events, /static/console.js).
    wait_for(lambda: by_id(browser, "brokers-count").text == "2" and by_id(browser, "under-replicated-count").text != "0",
             60, "the live update of the open overview")
    # Within the ISR lag time (replica.lag.time.max.ms) the leaders shrink the ISR; one refresh then shows it.
    wait_for(lambda: browser.get(read_only.url + "/") or by_id(browser, "under-replicated-count").text != "0",
             60, "under-replicated partitions on the overview")
    assert int(by_id(browser, "brokers-count").text) == 2
    shown = int(by_id(browser, "under-replicated-count").text)
    metadata = AdminClient({"bootstrap.servers": cluster.brokers[1].bootstrap}).list_topics(timeout=30)
    expected = sum(1 for t in metadata.topics.values() for p in t.partitions.values() if len(p.isrs) < len(p.replicas))
    assert shown == expected > 0
    browser.get(read_only.url + "/topics/orders")
    assert any(all_by_id(browser, f"urp-{p}") for p in range(6))
    # The timeline: broker 3 gone, and the ISR shrinks it caused, each naming the partition.
    def timeline():
        browser.get(read_only.url + "/")
        return [(e.find_element(By.CSS_SELECTOR, '[data-testid="event-kind"]').text,
                 e.find_element(By.CSS_SELECTOR, '[data-testid="event-detail"]').text) for e in all_by_id(browser, "event")]
    events = wait_for(lambda: (found := timeline()) and ("broker gone", "broker 3 left the cluster") in found
                      and any(kind == "isr shrink" for kind, _ in found) and found, 30, "the timeline's events")
    shrinks = {detail.split(":")[0] for kind, detail in events if kind == "isr shrink"}
    assert {f"orders-{p}" for p in range(6)} <= shrinks, shrinks
    assert "<rect" in by_id(browser, "timeline-chart").get_attribute("innerHTML")
    browser.save_screenshot(f"{shots}/overview-after-kill.png")
    no_console_errors(browser)
    victim.start()
