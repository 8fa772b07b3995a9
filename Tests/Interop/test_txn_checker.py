"""The transaction checker (txn_checker.py) finds each anomaly it names, in histories built by hand: a checker that
found nothing would make every exactly-once test pass."""
import txn_checker
from txn_checker import ABORTED, COMMITTED, UNKNOWN


def history(*transactions):
    """transactions: (name, outcome, [(partition, key, value)]); outcome None = open when the producer died."""
    result = txn_checker.History()
    for name, outcome, records in transactions:
        result.began(name)
        for record in records:
            result.wrote(name, *record)
        if outcome is not None:
            result.ended(name, outcome)
    return result


def base():
    return history(("t1", COMMITTED, [(0, "a", "1"), (1, "b", "1")]),
                   ("t2", ABORTED, [(0, "a", "2")]),
                   ("t3", COMMITTED, [(0, "a", "3"), (1, "b", "3")]),
                   ("t4", None, [(1, "b", "4")]))


def test_a_correct_read_passes_and_is_counted():
    report = txn_checker.check(base(), {0: [("a", "1"), ("a", "3")], 1: [("b", "1"), ("b", "3")]})
    txn_checker.assert_valid(report)
    assert (report["committed_transactions"], report["aborted_transactions"], report["read"]) == (2, 2, 4)
    assert report["aborted_records"] == 2  # t2's, and t4's (open when its producer died)


def test_each_anomaly_is_found():
    report = txn_checker.check(base(), {
        0: [("a", "3"), ("a", "1"), ("a", "2"), ("a", "3"), ("z", "9")],  # order, aborted read, duplicate, foreign
        1: [("b", "1"), ("b", "4")],  # t3's b lost, t4 (open at death) read
    })
    assert {name: report[name] for name in ("lost", "duplicated", "aborted_reads", "foreign_reads",
                                            "order_violations")} == {
        "lost": 1, "duplicated": 1, "aborted_reads": 2, "foreign_reads": 1, "order_violations": 1}
    try:
        txn_checker.assert_valid(report)
    except AssertionError:
        return
    raise AssertionError("assert_valid passed a report with anomalies")


def test_an_unknown_outcome_is_all_or_nothing():
    unknown = history(("t1", UNKNOWN, [(0, "a", "1"), (1, "b", "1")]))
    assert txn_checker.check(unknown, {0: [("a", "1")], 1: [("b", "1")]})["partial_transactions"] == 0
    assert txn_checker.check(unknown, {0: [], 1: []})["partial_transactions"] == 0
    assert txn_checker.check(unknown, {0: [("a", "1")], 1: []})["partial_transactions"] == 1


def test_write_cycles_are_reported_but_allowed():
    crossed = history(("t1", COMMITTED, [(0, "a", "1"), (1, "b", "1")]),
                      ("t2", COMMITTED, [(0, "c", "2"), (1, "d", "2")]))
    # t1 before t2 in partition 0, t2 before t1 in partition 1: a G0-like cycle.
    report = txn_checker.check(crossed, {0: [("a", "1"), ("c", "2")], 1: [("d", "2"), ("b", "1")]})
    assert report["g0_cycles"] == 1
    txn_checker.assert_valid(report)
    straight = txn_checker.check(crossed, {0: [("a", "1"), ("c", "2")], 1: [("b", "1"), ("d", "2")]})
    assert straight["g0_cycles"] == 0
