"""The embedded simulator: the default backend, so a trial runs with no key and no GPU."""

from engine.sim.agents import Scenario
from engine.sim.faults import FAULT_KINDS, Fault, FaultKind
from engine.sim.server import BilledRequest, SimulatorServer

__all__ = ["FAULT_KINDS", "BilledRequest", "Fault", "FaultKind", "Scenario", "SimulatorServer"]
