"""Neural recommenders in Keras 3 on the JAX backend: neural collaborative filtering and a next-item GRU."""
