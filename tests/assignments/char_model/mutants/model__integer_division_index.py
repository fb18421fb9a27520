# ruff: noqa
# Mistake: idx = j // len(examples) instead of j % len(examples): the loop trains on the same
# name again and again instead of going through the names.
def model(
    data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, dino_names=7, vocab_size=27, verbose=False
):
    n_x, n_y = vocab_size, vocab_size
    parameters = initialize_parameters(n_a, n_x, n_y)
    loss = get_initial_loss(vocab_size, dino_names)

    examples = [x.strip() for x in data_x]
    np.random.seed(0)
    np.random.shuffle(examples)
    a_prev = np.zeros((n_a, 1))

    for j in range(num_iterations):
        idx = j // len(examples)
        single_example = examples[idx]
        single_example_ix = [char_to_ix[ch] for ch in single_example]
        X = [None] + single_example_ix
        Y = X[1:] + [char_to_ix["\n"]]
        curr_loss, gradients, a_prev = optimize(X, Y, a_prev, parameters, learning_rate=0.01)

        loss = smooth(loss, curr_loss)
        if verbose and j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                sampled_indices = sample(parameters, char_to_ix, seed)
                print(get_sample(sampled_indices, ix_to_char).replace("\n", ""))
            print("\n")

    return parameters
