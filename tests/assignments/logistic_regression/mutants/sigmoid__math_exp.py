# ruff: noqa
# Mistake: math.exp, which only accepts single numbers, not arrays.
import math


def sigmoid(z):
    s = 1 / (1 + math.exp(-z))
    return s
