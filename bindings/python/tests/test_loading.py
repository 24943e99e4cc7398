"""Finding the library, and refusing one of another ABI version."""

from __future__ import annotations

import os
import subprocess
import sys

IMPORT = [sys.executable, "-c", "import authgate"]


def import_with(library: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUTHGATE_LIBRARY=library)
    return subprocess.run(IMPORT, env=env, capture_output=True, text=True, timeout=60)


def test_another_minor_version_is_refused_naming_both(tmp_path):
    source = tmp_path / "old.c"
    source.write_text('#include <stdint.h>\n'
                      'uint32_t authgate_version_num(void) { return 103; }\n'
                      'const char *authgate_version(void) { return "0.1.3"; }\n')
    library = tmp_path / "libauthgate.so.0.1"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    result = import_with(str(library))
    assert result.returncode != 0
    assert "is version 0.1.3, but this package needs 0.2.x" in result.stderr


def test_a_missing_library_says_where_it_looked(tmp_path):
    result = import_with(str(tmp_path / "nothing.so"))
    assert result.returncode != 0
    assert "AUTHGATE_LIBRARY=" in result.stderr and "libauthgate.so.0.2" in result.stderr


def test_the_library_in_use_is_the_one_named():
    result = subprocess.run(
        [sys.executable, "-c", "import authgate; print(authgate._lib.lib._name)"],
        capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == os.environ.get("AUTHGATE_LIBRARY", "libauthgate.so.0.2")
