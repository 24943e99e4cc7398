"""Every authgate_reason of the loaded library has its exception class."""

from __future__ import annotations

import pickle

import authgate
from authgate import _lib


def library_reasons():
    """{number: name} for every reason the C library names."""
    names, code = {}, 1
    while True:
        name = _lib.lib.authgate_reason_name(code).decode()
        if name == "unknown":
            return names
        names[code] = name
        code += 1


def test_every_reason_maps_to_its_class():
    reasons = library_reasons()
    assert len(reasons) >= 35
    assert sorted(reasons) == sorted(authgate.REASON_CLASSES)
    for code, name in reasons.items():
        cls = authgate.REASON_CLASSES[code]
        assert cls.reason == name and cls.code == code
        assert getattr(authgate, cls.__name__) is cls
        assert cls.__name__ == "".join(part.capitalize() for part in name.split("_"))
        assert issubclass(cls, authgate.Rejected) and cls.__doc__
        assert cls.__name__ in authgate.__all__


def test_a_rejection_from_the_library_has_its_class():
    for code, name in library_reasons().items():
        error = authgate.exceptions.rejected(code, "why")
        assert type(error) is authgate.REASON_CLASSES[code]
        assert error.reason == name and error.detail == "why" and str(error) == name + ": why"


def test_a_reason_newer_than_the_package_is_still_named():
    error = authgate.exceptions.rejected(9999, "later")
    assert type(error) is authgate.Rejected and error.code == 9999 and error.reason == "unknown"


def test_hierarchy():
    assert issubclass(authgate.ConfigError, authgate.Error)
    assert issubclass(authgate.ConfigError, ValueError)
    assert issubclass(authgate.Timeout, TimeoutError)
    assert not issubclass(authgate.Rejected, authgate.Error)


def test_exceptions_pickle():
    error = pickle.loads(pickle.dumps(authgate.Expired("exp passed")))
    assert type(error) is authgate.Expired and error.reason == "expired"


def test_library_version_is_the_abi_of_the_package():
    assert authgate.LIBRARY_VERSION.startswith("0.2.")
