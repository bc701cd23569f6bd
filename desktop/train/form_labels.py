"""What the Train form says: the names it shows for nn's keys and each field's tooltip."""

ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU", "sigmoid": "Sigmoid",
                     "tanh": "Tanh"}
OPTIMIZER_LABELS = {"gd": "Gradient descent", "momentum": "Momentum",
                    "nesterov": "Nesterov momentum", "adam": "Adam", "adamw": "AdamW"}
SCHEDULE_LABELS = {"constant": "Constant", "step": "Step decay", "cosine": "Cosine decay"}

TOOLTIPS = {
    "presetCombo": "A ready-made network and training recipe; choosing one fills in the form.",
    "startFromCombo": "Continue training the active model (its weights and optimizer state) "
                      "or build a new one from these settings.",
    "hiddenLayersEdit": "Neurons in each hidden layer, comma-separated (\"512, 256\"); empty "
                        "means no hidden layer.",
    "activationCombo": "The non-linearity applied after each hidden layer.",
    "dropoutSpin": "Fraction of hidden neurons switched off at random in each training step, "
                   "which discourages over-fitting.",
    "optimizerCombo": "The rule that turns gradients into weight updates.",
    "momentumSpin": "How much of the previous steps' direction each step keeps (momentum "
                    "optimizers only).",
    "learningRateSpin": "How big each update step is: too small learns slowly, too large "
                        "diverges (arrow keys step 1, 2, 5, 10...).",
    "scheduleCombo": "How the learning rate changes over the run.",
    "warmupSpin": "Epochs over which the learning rate first rises from 0, which keeps the "
                  "first large, noisy steps from throwing the weights far off; 0 turns it off.",
    "stepEverySpin": "Step decay: every this many epochs...",
    "stepFactorSpin": "...the learning rate is multiplied by this factor.",
    "batchSizeSpin": "Images per update step; 0 uses the whole training set for every step "
                     "(full batch, as in the notebook).",
    "epochsSpin": "How many times training goes through the whole training set.",
    "weightDecaySpin": "Pulls weights towards zero at every step, a brake on over-fitting; "
                       "0 turns it off.",
    "augmentCheck": "Show the network randomly shifted, rotated, scaled, slanted, thicker and "
                    "thinner copies of the images: slower to learn, reads drawings better.",
    "earlyStoppingSpin": "Stop after this many epochs without a better validation accuracy and "
                         "keep the best weights; off trains every epoch.",
    "seedSpin": "Seed of the random numbers (initial weights, shuffling, dropout), so a run can "
                "be repeated exactly.",
}
