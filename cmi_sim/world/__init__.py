"""The world's data (tide, weather, flights): series, generators, and the data APIs served as of now."""

from cmi_sim.world.build import synthetic_world, world_from_data
from cmi_sim.world.files import DataFileError, read_flights_json, read_tide_csv, read_weather_csv
from cmi_sim.world.reply import DataReply
from cmi_sim.world.series import (
    WEATHER_VARIABLES,
    Coverage,
    Flight,
    FlightList,
    TideSeries,
    WeatherSeries,
    World,
)
from cmi_sim.world.service import HOSTS, WorldDataService
from cmi_sim.world.tide_model import HarmonicTide, fit_harmonic_tide

__all__ = [
    "HOSTS",
    "WEATHER_VARIABLES",
    "Coverage",
    "DataFileError",
    "DataReply",
    "Flight",
    "FlightList",
    "HarmonicTide",
    "TideSeries",
    "WeatherSeries",
    "World",
    "WorldDataService",
    "fit_harmonic_tide",
    "read_flights_json",
    "read_tide_csv",
    "read_weather_csv",
    "synthetic_world",
    "world_from_data",
]
