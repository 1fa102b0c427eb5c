import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    if argv and argv[0] in ("-h", "--help"):
        print("python -m bench [name] [options]; benchmarks:", ", ".join(names) or "none yet")
        return 0
    chosen = [argv[0]] if argv and not argv[0].startswith("-") else names
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    status = 0
    for name in chosen:
        if name not in names:
            print(f"unknown benchmark {name!r}; have: {', '.join(names)}")
            return 2
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"bench.{name}")
        status |= module.run(rest) or 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
