# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Collect e-Surat module tests under their real package names.

Tryton loads the modules as ``trytond.modules.<name>``; pytest's default
import would load test files a second time under another name.  Doctest
scenarios (``scenario_*.rst``) are built by each module's ``load_tests``,
which pytest ignores, so they are collected here as well.

Tryton keeps the database of each set of activated modules in DB_CACHE
(bin/test sets it) and copies it for the next test case or scenario of the
same set.  A database missing from it is built here on what the cache
already holds, instead of from nothing: on the database of some of its
modules when there is one, else on that of ir and res alone (6 s of the 9
to 15 s a database takes).  Test cases and scenarios name a set by
its sorted modules alike, so that they share it; a scenario's setup
functions then run on the database of its modules.
"""
import importlib
import os
import unittest
from itertools import combinations
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


def _cache_name(modules, lang='en'):
    "The name of the database of modules in DB_CACHE"
    name = '-'.join(sorted(modules))
    return name if lang == 'en' else f'{name}--{lang}'


def _parts(modules):
    """The lists of modules whose databases a database of modules can be
    built on, largest first: each activates some of modules and the
    modules they depend on (each list names those no other one requires)"""
    from trytond.modules import get_module_info
    depends, todo = {}, list(modules)
    while todo:
        name = todo.pop()
        if name not in depends:
            # An unknown module has none: activate_module tells it is not
            # found
            info = get_module_info(name) or {}
            depends[name] = set(info.get('depends', [])) - {'ir', 'res'}
            todo.extend(depends[name])
    for size in range(len(depends), 0, -1):
        for part in map(set, combinations(sorted(depends), size)):
            if all(depends[name] <= part for name in part):
                yield [name for name in sorted(part)
                    if not any(name in depends[n] for n in part)]


def pytest_configure(config):
    "Build the test databases on those of DB_CACHE (see the docstring)"
    from proteus import config as proteus_config

    from trytond.tests import test_tryton, tools

    activate, create = test_tryton.activate_module, test_tryton.create_db
    db_name = test_tryton.DB_NAME

    def create_db(name=db_name, lang='en'):
        if name != db_name or test_tryton.db_exist(name):
            return create(name, lang)
        cache = _cache_name(['ir', 'res'], lang)
        if not test_tryton.restore_db_cache(cache):
            create(name, lang)
            test_tryton.backup_db_cache(cache)

    def activate_module(modules, lang='en'):
        if isinstance(modules, str):
            modules = [modules]
        if not test_tryton.db_exist(db_name):
            if test_tryton.restore_db_cache(_cache_name(modules, lang)):
                return
            for part in _parts(modules):
                if test_tryton.restore_db_cache(_cache_name(part, lang)):
                    break
        activate(sorted(modules), lang)

    def activate_modules(modules, *setup):
        if isinstance(modules, str):
            modules = [modules]
        name = _cache_name(modules)
        if setup:
            name += '--' + '|'.join(tools._func_name(f) for f in setup)
        if test_tryton.restore_db_cache(name):
            return proteus_config.set_trytond()
        test_tryton.drop_db()
        activate_module(modules)
        trytond_config = proteus_config.set_trytond()
        for func in setup:
            func(config=trytond_config)
        test_tryton.backup_db_cache(name)
        return trytond_config

    test_tryton.create_db = create_db
    test_tryton.activate_module = activate_module
    tools.activate_modules = activate_modules
    _cheap_key_derivation()


def _cheap_key_derivation():
    """The keys of the tests' certificates encrypted with
    ESURAT_TEST_KDF_ITERATIONS PBKDF2 iterations (bin/test sets it) instead
    of the 600 000 of pades.KDF_ITERATIONS in production

    Each test that signs issues a CA and three certificates and decrypts a
    key: 0.15 s of key derivation each, half a minute of each run.  The
    keys keep the format of production's and are decrypted at the cost
    written in them."""
    iterations = os.environ.get('ESURAT_TEST_KDF_ITERATIONS')
    if iterations:
        from trytond.modules.esurat_signing import pades
        pades.KDF_ITERATIONS = int(iterations)
