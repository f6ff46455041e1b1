"""What the HTTP test scripts share: named checks that are all run and summed up at the end."""
import sys
import time

failures = []
_t0 = time.time()


def check(name, cond, detail=""):
    """Records one outcome; prints it with the seconds since the start."""
    print("%6.2f %s %s%s" % (time.time() - _t0, "ok  " if cond else "FAIL", name,
                             "" if cond else ": " + str(detail)[:600]), flush=True)
    if not cond:
        failures.append(name)


def finish():
    """Exits non-zero if any check failed."""
    if failures:
        print("%d failed: %s" % (len(failures), ", ".join(failures)))
        sys.exit(1)
    print("all passed")
