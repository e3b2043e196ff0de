"""Tests across stages through the real openai SDK and instructor against the scripted server on 127.0.0.1, cassettes, Ray, Chromium."""
