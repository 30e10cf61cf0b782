# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Collect e-Surat module tests under their real package names.

Tryton loads the modules as ``trytond.modules.<name>``; pytest's default
import would load test files a second time under another name.  Doctest
scenarios (``scenario_*.rst``) are built by each module's ``load_tests``,
which pytest ignores, so they are collected here as well.
"""
import importlib
import unittest
from pathlib import Path

import pytest

MODULES = Path(__file__).parent / 'modules'


def _dotted_name(path):
    relative = Path(path).resolve().relative_to(MODULES.resolve())
    module, *rest = relative.with_suffix('').parts
    return '.'.join(['trytond', 'modules', module, *rest])


class TrytonModule(pytest.Module):

    def _getobj(self):
        return importlib.import_module(_dotted_name(self.path))

    def collect(self):
        module = self.obj
        if hasattr(module, 'load_tests'):
            loader = unittest.TestLoader()
            suite = module.load_tests(loader, unittest.TestSuite(), None)
            for case in _iter_cases(suite):
                yield UnittestCaseItem.from_parent(
                    self, name=case.id().rsplit('/', 1)[-1], case=case)
        else:
            yield from super().collect()


def _iter_cases(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from _iter_cases(test)
        else:
            yield test


class UnittestCaseFailure(Exception):
    pass


class UnittestCaseItem(pytest.Item):
    "A unittest case (here a doctest scenario) run as one pytest item"

    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        result = unittest.TestResult()
        self.case.run(result)
        problems = result.errors + result.failures
        if problems:
            raise UnittestCaseFailure(
                '\n'.join(text for _, text in problems))
        if result.skipped:
            pytest.skip(result.skipped[0][1])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, UnittestCaseFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


def pytest_pycollect_makemodule(module_path, parent):
    try:
        Path(module_path).resolve().relative_to(MODULES.resolve())
    except ValueError:
        return None
    return TrytonModule.from_parent(parent, path=module_path)
