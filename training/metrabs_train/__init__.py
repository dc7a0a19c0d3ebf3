"""MeTRAbs trainer (PyTorch): data loading, augmentation, model, losses, training and export."""
