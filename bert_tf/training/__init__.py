"""Training: strategy and precision from flags, the custom loop (trainer.py), its shared set-up
(engine.py), evaluation helpers, and the pretraining and fine-tuning runners."""
