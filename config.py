"""The settings, for a checkout: the classes live in ``secretariat/settings.py`` so that an
installed package carries them too."""

from secretariat.settings import CONFIGS, Config, DevelopmentConfig, ProductionConfig, TestingConfig

__all__ = ["CONFIGS", "Config", "DevelopmentConfig", "ProductionConfig", "TestingConfig"]
