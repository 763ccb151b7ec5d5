"""The first COUNT CPUs of a CPU list, for the --cpus option of bench/compare.sh.

  python cpu_list.py LIST COUNT      e.g. cpu_list.py 0-3,6 2  prints 0,1

Exit 2 with one line on stderr when LIST is malformed or names fewer than COUNT CPUs.
"""

import sys


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        print("usage: cpu_list.py LIST COUNT", file=sys.stderr)
        return 2
    text, count = sys.argv[1], int(sys.argv[2])
    cpus = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            print(f"compare: --cpus: '{part}' is not a CPU number or range", file=sys.stderr)
            return 2
        cpus += range(int(lo), int(hi or lo) + 1)
    if len(cpus) < count:
        print(f"compare: --cpus {text} has fewer than {count} CPUs", file=sys.stderr)
        return 2
    print(",".join(map(str, cpus[:count])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
