"""Asset definitions by stage. Each module stays thin: domain logic lives in ``prefinery``."""
