"""Unit tests of the plain-Python logic, with the host's python3:
`python3 -m unittest discover -s examples/python-filter/tests`."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

import house_rules  # noqa: E402
from house_rules import ConfigError, parse  # noqa: E402


class ConfigTests(unittest.TestCase):
    def test_empty_and_full(self):
        self.assertEqual(parse("").banned, [])
        self.assertEqual(parse("{}").footer, "")
        rules = parse('{"banned": [" Foo ", "bar baz"], "footer": " [#{count}]"}')
        self.assertEqual(rules.banned, ["Foo", "bar baz"])
        self.assertEqual(rules.footer_for(7), " [#7]")

    def test_bad_shapes_say_why(self):
        cases = {
            "[1]": "must be a JSON object",
            "{oops": "not valid JSON",
            '{"baned": []}': "unknown key `baned`",
            '{"banned": "foo"}': "`banned` must be a list of strings",
            '{"banned": [1]}': "`banned` must be a list of strings",
            '{"banned": [" "]}': "empty word",
            '{"footer": 3}': "`footer` must be a string",
        }
        for text, needle in cases.items():
            with self.assertRaises(ConfigError, msg=text) as caught:
                parse(text)
            self.assertIn(needle, str(caught.exception), text)


class MatchTests(unittest.TestCase):
    def test_whole_words_ignoring_case(self):
        rules = parse('{"banned": ["Foo", "bar baz", "c++"]}')
        self.assertEqual(rules.banned_word_in("say FOO now"), "Foo")
        self.assertEqual(rules.banned_word_in("foo."), "Foo")
        self.assertIsNone(rules.banned_word_in("food is fine"))
        self.assertEqual(rules.banned_word_in("a Bar Baz b"), "bar baz")
        self.assertIsNone(rules.banned_word_in("bar  baz"))
        self.assertEqual(rules.banned_word_in("I like c++"), "c++")
        self.assertIsNone(parse("{}").banned_word_in("anything"))

    def test_message(self):
        self.assertIn('"Foo"', house_rules.rejection_message("Foo"))


if __name__ == "__main__":
    unittest.main()
