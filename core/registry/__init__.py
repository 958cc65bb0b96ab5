"""The village register: villages, villager groups, households, persons, representatives."""
