"""The transaction tests' checker, in the style of Jepsen's Kafka analysis (issue 16): what producers say they did
(a `History`) against what a read_committed consumer read, partition by partition.

A history holds each transaction's records, in the order they were written, and how the producer saw it end:
committed (commit_transaction returned), aborted (abort_transaction returned, or the producer died or was fenced
with the transaction open and never asked to commit), or unknown (commit asked, no answer: the process died or the
call failed with an error that does not say). The checks, each counted:

- aborted read: a record of an aborted transaction was read;
- lost write: a record of a committed transaction was not read;
- duplicate: a record was read more than once;
- partial transaction: an unknown-outcome transaction was read in part (it must be all or nothing);
- foreign read: a record no transaction of the history wrote;
- order: within a partition, two records of one key read in the opposite order of their writing.

G0-like write cycles — transactions T1 and T2 whose records are ordered T1 before T2 in one partition and T2 before
T1 in another — are counted for information only: Kafka allows them (Jepsen's Kafka analysis, 2022). Records are
told apart by (partition, key, value), so each written record's value must be unique within its partition and key.
"""
from collections import defaultdict

COMMITTED, ABORTED, UNKNOWN = "committed", "aborted", "unknown"


class History:
    def __init__(self):
        self.transactions = {}  # transaction name -> outcome (None while open)
        self.writes = {}  # (partition, key, value) -> (transaction name, position in the global write order)

    def began(self, transaction):
        assert transaction not in self.transactions, f"transaction {transaction} began twice"
        self.transactions[transaction] = None

    def wrote(self, transaction, partition, key, value):
        assert self.transactions.get(transaction, UNKNOWN) is None, f"{transaction} is not open"
        record = (partition, key, value)
        assert record not in self.writes, f"record {record} written twice by the producers"
        self.writes[record] = (transaction, len(self.writes))

    def ended(self, transaction, outcome):
        assert outcome in (COMMITTED, ABORTED, UNKNOWN)
        self.transactions[transaction] = outcome

    def died(self):
        """The producer is gone (killed, fenced): an open transaction it never asked to commit is aborted — its
        successor's InitProducerId aborts it, or the coordinator does at its timeout."""
        for transaction, outcome in self.transactions.items():
            if outcome is None:
                self.transactions[transaction] = ABORTED

    def outcome(self, transaction):
        return self.transactions[transaction]


def check(history, reads):
    """`reads`: {partition: [(key, value), ...]} in offset order, as a read_committed consumer read them. Returns
    the report (a dict of counts and examples); `assert_valid(report)` fails on any anomaly but G0."""
    history.died()  # every producer has stopped by the time the checker runs
    counts = defaultdict(int)
    seen = defaultdict(int)
    aborted_reads, foreign, order = [], [], []
    last_position = {}  # (partition, key) -> write position of the last record read
    order_in_partition = defaultdict(list)  # partition -> transactions in the order their records were read
    for partition, records in reads.items():
        for key, value in records:
            record = (partition, key, value)
            seen[record] += 1
            if record not in history.writes:
                foreign.append(record)
                continue
            transaction, position = history.writes[record]
            if history.outcome(transaction) == ABORTED:
                aborted_reads.append(record)
            if last_position.get((partition, key), -1) > position:
                order.append(record)
            last_position[(partition, key)] = position
            sequence = order_in_partition[partition]
            if not sequence or sequence[-1] != transaction:
                sequence.append(transaction)
    by_transaction = defaultdict(list)
    for record, (transaction, _) in history.writes.items():
        by_transaction[transaction].append(record)
    lost, partial = [], []
    for transaction, records in by_transaction.items():
        outcome = history.outcome(transaction)
        read = [r for r in records if seen.get(r)]
        if outcome == COMMITTED:
            lost += [r for r in records if not seen.get(r)]
        elif outcome == UNKNOWN and 0 < len(read) < len(records):
            partial.append(transaction)
    for outcome in (COMMITTED, ABORTED, UNKNOWN):
        counts[f"{outcome}_transactions"] = sum(1 for o in history.transactions.values() if o == outcome)
        counts[f"{outcome}_records"] = sum(len(records) for t, records in by_transaction.items()
                                           if history.outcome(t) == outcome)
    duplicates = [r for r, times in seen.items() if times > 1]
    report = dict(counts, read=sum(seen.values()), lost=len(lost), duplicated=len(duplicates),
                  aborted_reads=len(aborted_reads), partial_transactions=len(partial), foreign_reads=len(foreign),
                  order_violations=len(order), g0_cycles=len(write_cycles(order_in_partition.values())),
                  examples={"lost": lost[:3], "duplicated": duplicates[:3], "aborted_reads": aborted_reads[:3],
                            "partial": partial[:3], "foreign": foreign[:3], "order": order[:3]})
    print(f"checker: {summary(report)}")
    return report


def summary(report):
    return ", ".join(f"{name} {value}" for name, value in report.items() if name != "examples")


def assert_valid(report):
    anomalies = {name: report[name] for name in ("lost", "duplicated", "aborted_reads", "partial_transactions",
                                                 "foreign_reads", "order_violations") if report[name]}
    assert not anomalies, f"anomalies {anomalies}, e.g. {report['examples']}"


def write_cycles(sequences):
    """Strongly connected components of more than one transaction in the graph whose edges are "T1's records come
    right before T2's in some partition" (Tarjan's algorithm, iterative)."""
    edges = defaultdict(set)
    for sequence in sequences:
        for earlier, later in zip(sequence, sequence[1:]):
            edges[earlier].add(later)
    index, low, stack, on_stack, components = {}, {}, [], set(), []
    for root in list(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components
