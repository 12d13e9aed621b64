"""Automatic call distribution: queues, skills, agent states and the agent desk."""
