"""Lifetime distributions for dynamic stock models (years of use of a product, asset or component).

Every distribution gives

* ``sf(ages)`` – the survival function at integer ages: the share of a cohort still in use at the end of
  the year in which it is ``age`` years old (age 0 = the year it entered the stock). This is the
  discretisation of ODYM and of flodym with ``inflow_at="end"``: ``sf(a) = P(L > a)`` evaluated at
  whole years, with **no correction at age 0**. For ``LogNormal``, ``Weibull`` and ``FoldedNormal``
  ``sf(0) = 1``; for ``Fixed`` ``sf(0) = 1`` unless the lifetime is 0; for ``Normal`` (not truncated)
  ``sf(0) = P(L > 0) < 1``: the share with a "negative lifetime" leaves in the year it entered, exactly as
  in flodym and ODYM.
* ``sample(n, rng)`` – ``n`` random lifetimes (years, floats) for Monte Carlo runs, optionally
  conditional on having survived to a given age. A drawn lifetime ``L`` leaves the stock at age
  ``exit_age(L) = max(ceil(L), 0)``, which reproduces ``sf`` (``P(exit_age > a) = P(L > a)``).
* ``expected()`` – the mean lifetime in years.

Parameters may be numbers or arrays; arrays broadcast, so one object can hold different lifetimes per
asset, technology or material. ``sf(ages)`` returns ``ages.shape + lifetime.batch_shape``.

Parameters follow flodym (checked to 1e-8 in tests/test_lifetimes.py):

* ``Fixed(mean)``: every unit leaves at age ``ceil(mean)`` (in use while ``age < mean``).
* ``Normal(mean, sd)``: not truncated (see above).
* ``FoldedNormal(mean, sd)``: ``|X|`` with ``X ~ Normal(mean, sd)``; ``mean`` and ``sd`` are those of the
  normal distribution **before** folding (flodym's ``FoldedNormalLifetime``), not of the folded one.
* ``LogNormal(mean, sd)``: mean and standard deviation of the lifetime itself (not of its logarithm).
* ``Weibull(shape, scale)``: ``sf(a) = exp(-(a / scale) ** shape)``.

Invalid parameters (negative mean, sd <= 0, shape <= 0, scale <= 0, NaN) raise
:class:`critmat.errors.ModelError` naming the value and, for arrays, its index.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from critmat.errors import ModelError

__all__ = ["Lifetime", "Fixed", "Normal", "FoldedNormal", "LogNormal", "Weibull", "exit_age"]


def _as_param(value: Any, name: str, dist: str, *, minimum: float, strict: bool) -> np.ndarray:
    """Float array of a parameter, read-only; ModelError naming the first bad value and its index."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{dist} {name} must be a number or array of numbers, got {value!r}") from exc
    bad = ~np.isfinite(arr) | ((arr <= minimum) if strict else (arr < minimum))
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if arr.ndim else ()
        val = float(arr[idx]) if idx else float(arr)
        where = f" at index {idx}" if arr.ndim else ""
        rule = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ModelError(f"{dist} {name} must be finite and {rule}, got {val!r}{where}")
    arr.setflags(write=False)
    return arr


def exit_age(lifetimes: np.ndarray) -> np.ndarray:
    """Age (whole years) at which a unit with continuous lifetime ``L`` leaves: ``max(ceil(L), 0)``.

    Consistent with ``sf``: a unit is still in use at the end of age ``a`` iff ``L > a``.
    Ages are capped at 10,000 years so that extreme draws stay integers.
    """
    return np.clip(np.ceil(lifetimes), 0, 10_000).astype(np.int64)


class Lifetime(ABC):
    """Base class of the lifetime distributions (frozen; parameters are read-only float arrays)."""

    _params: tuple[str, ...] = ()

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the parameters (``()`` for scalar parameters)."""
        return np.broadcast_shapes(*(getattr(self, p).shape for p in self._params))

    def _bcast(self, ages: np.ndarray, *params: np.ndarray) -> tuple[np.ndarray, ...]:
        """Ages reshaped to ``ages.shape + (1,) * ndim`` so they broadcast against the parameters."""
        a = np.asarray(ages, dtype=float)
        a = a.reshape(a.shape + (1,) * len(self.batch_shape))
        return (a, *params)

    def sf(self, ages: np.ndarray | float) -> np.ndarray:
        """Survival at ``ages`` (years): share still in use; shape ``ages.shape + self.batch_shape``."""
        a = np.asarray(ages, dtype=float)
        out = self._sf(*self._bcast(a, *(getattr(self, p) for p in self._params)))
        target = a.shape + self.batch_shape
        return out if out.shape == target else np.broadcast_to(out, target).copy()

    def pdf_discrete(self, n_ages: int) -> np.ndarray:
        """Share of a cohort leaving at each age 0..n_ages-1: ``1 - sf(0)``, then ``sf(a-1) - sf(a)``."""
        s = self.sf(np.arange(n_ages))
        out = np.empty_like(s)
        out[0] = 1.0 - s[0]
        out[1:] = s[:-1] - s[1:]
        return out

    def sample(self, n: int, rng: np.random.Generator, *,
               alive_at_age: np.ndarray | float | None = None) -> np.ndarray:
        """``n`` random lifetimes (years) of shape ``(n,) + broadcast(self.batch_shape, shape(alive_at_age))``.

        With ``alive_at_age`` the draws are conditional on ``L > alive_at_age`` (a unit known to be
        still in use at that age), by inverse-transform sampling of the truncated distribution. Where
        the distribution gives (numerically) no chance of surviving that long, the draw is
        ``alive_at_age + 1``: the unit leaves the year after it was last seen.
        """
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ModelError(f"number of draws must be a positive integer, got {n!r}")
        if alive_at_age is None:
            return self._sample_free(int(n), rng)
        a0 = np.asarray(alive_at_age, dtype=float)
        if not np.all(np.isfinite(a0)):
            raise ModelError(f"alive_at_age must be finite, got {alive_at_age!r}")
        shape = (int(n),) + np.broadcast_shapes(self.batch_shape, a0.shape)
        u = rng.random(shape)
        out = self._sample_conditional(u, np.broadcast_to(a0, shape[1:]))
        fallback = np.broadcast_to(a0 + 1.0, shape)
        bad = ~np.isfinite(out) | (out <= a0)
        if bad.any():
            out = np.where(bad, fallback, out)
        return out

    @abstractmethod
    def _sf(self, a: np.ndarray, *params: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray: ...

    @abstractmethod
    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        """Inverse transform of ``u`` in (0, 1) for the distribution truncated to ``L > a0``."""

    @abstractmethod
    def expected(self) -> np.ndarray:
        """Mean lifetime (years), shape ``self.batch_shape``."""

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p).tolist()!r}" for p in self._params)
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True, eq=False, repr=False)
class Fixed(Lifetime):
    """Every unit stays exactly ``mean`` years: in use while ``age < mean``, leaves at ``ceil(mean)``."""

    mean: Any
    _params = ("mean",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _as_param(self.mean, "mean", "Fixed", minimum=0, strict=False))

    def _sf(self, a: np.ndarray, mean: np.ndarray) -> np.ndarray:
        return (a < mean).astype(float)

    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.broadcast_to(self.mean, (n,) + self.batch_shape).astype(float)

    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.mean, u.shape).astype(float)

    def expected(self) -> np.ndarray:
        return self.mean.copy()


@dataclass(frozen=True, eq=False, repr=False)
class Normal(Lifetime):
    """Normal lifetime, not truncated: the share with ``L <= 0`` leaves in the year it entered."""

    mean: Any
    sd: Any
    _params = ("mean", "sd")

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _as_param(self.mean, "mean", "Normal", minimum=0, strict=False))
        object.__setattr__(self, "sd", _as_param(self.sd, "sd", "Normal", minimum=0, strict=True))

    def _sf(self, a: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        return special.ndtr((mean - a) / sd)

    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.normal(self.mean, self.sd, size=(n,) + self.batch_shape)

    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        # P(L > x) = ndtr((mean - x) / sd) = u * P(L > a0)  =>  x = mean - sd * ndtri(u * P(L > a0))
        q = u * special.ndtr((self.mean - a0) / self.sd)
        with np.errstate(divide="ignore"):
            return self.mean - self.sd * special.ndtri(q)

    def expected(self) -> np.ndarray:
        return np.broadcast_to(self.mean, self.batch_shape).copy()


@dataclass(frozen=True, eq=False, repr=False)
class FoldedNormal(Lifetime):
    """``L = |X|``, ``X ~ Normal(mean, sd)``; mean and sd are those of X before folding (as flodym)."""

    mean: Any
    sd: Any
    _params = ("mean", "sd")

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean",
                           _as_param(self.mean, "mean", "FoldedNormal", minimum=0, strict=False))
        object.__setattr__(self, "sd", _as_param(self.sd, "sd", "FoldedNormal", minimum=0, strict=True))

    def _sf(self, a: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        x = np.maximum(a, 0.0)
        return special.ndtr((mean - x) / sd) + special.ndtr((-x - mean) / sd)

    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.abs(rng.normal(self.mean, self.sd, size=(n,) + self.batch_shape))

    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        # L > a0 happens through X > a0 (p_hi) or X < -a0 (p_lo); pick the branch, invert within it.
        a0 = np.maximum(a0, 0.0)
        p_hi = special.ndtr((self.mean - a0) / self.sd)
        p_lo = special.ndtr((-a0 - self.mean) / self.sd)
        total = p_hi + p_lo
        v = u * total  # uniform on (0, total): first p_hi of it -> upper branch, rest -> lower branch
        with np.errstate(divide="ignore", invalid="ignore"):
            upper = self.mean - self.sd * special.ndtri(np.minimum(v, p_hi))
            lower = -self.mean - self.sd * special.ndtri(np.maximum(v - p_hi, 0.0))
        return np.where(v < p_hi, upper, lower)

    def expected(self) -> np.ndarray:
        m, s = self.mean, self.sd
        return np.asarray(s * np.sqrt(2 / np.pi) * np.exp(-m * m / (2 * s * s)) + m * (1 - 2 * special.ndtr(-m / s)))


@dataclass(frozen=True, eq=False, repr=False)
class LogNormal(Lifetime):
    """Log-normal lifetime given by the mean and standard deviation of the lifetime itself (years)."""

    mean: Any
    sd: Any
    _params = ("mean", "sd")

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _as_param(self.mean, "mean", "LogNormal", minimum=0, strict=True))
        object.__setattr__(self, "sd", _as_param(self.sd, "sd", "LogNormal", minimum=0, strict=True))

    @property
    def mu_log(self) -> np.ndarray:
        """Mean of log(L)."""
        m2 = self.mean * self.mean
        return np.log(m2 / np.sqrt(m2 + self.sd * self.sd))

    @property
    def sigma_log(self) -> np.ndarray:
        """Standard deviation of log(L)."""
        return np.sqrt(np.log1p(self.sd * self.sd / (self.mean * self.mean)))

    def _sf(self, a: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            z = (np.log(np.maximum(a, 0.0)) - self.mu_log) / self.sigma_log
        return special.ndtr(-z)

    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.lognormal(self.mu_log, self.sigma_log, size=(n,) + self.batch_shape)

    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            z0 = (np.log(np.maximum(a0, 0.0)) - self.mu_log) / self.sigma_log
            q = u * special.ndtr(-z0)
            return np.exp(self.mu_log - self.sigma_log * special.ndtri(q))

    def expected(self) -> np.ndarray:
        return np.broadcast_to(self.mean, self.batch_shape).copy()


@dataclass(frozen=True, eq=False, repr=False)
class Weibull(Lifetime):
    """Weibull lifetime: ``sf(a) = exp(-(a / scale) ** shape)`` (scale in years)."""

    shape: Any
    scale: Any
    _params = ("shape", "scale")

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _as_param(self.shape, "shape", "Weibull", minimum=0, strict=True))
        object.__setattr__(self, "scale", _as_param(self.scale, "scale", "Weibull", minimum=0, strict=True))

    def _sf(self, a: np.ndarray, k: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return np.exp(-((np.maximum(a, 0.0) / scale) ** k))

    def _sample_free(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.scale * rng.weibull(np.broadcast_to(self.shape, self.batch_shape),
                                        size=(n,) + self.batch_shape)

    def _sample_conditional(self, u: np.ndarray, a0: np.ndarray) -> np.ndarray:
        # -log P(L > x) = (x/scale)^k; conditional on L > a0: (x/scale)^k = (a0/scale)^k - log(u)
        h0 = (np.maximum(a0, 0.0) / self.scale) ** self.shape
        return self.scale * (h0 - np.log(u)) ** (1.0 / self.shape)

    def expected(self) -> np.ndarray:
        return np.asarray(self.scale * special.gamma(1.0 + 1.0 / self.shape))
