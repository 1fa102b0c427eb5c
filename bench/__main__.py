import importlib
import os
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    # The benchmarks run the production settings (DEBUG off), which refuse to start without these.
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "b" * 60)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
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
