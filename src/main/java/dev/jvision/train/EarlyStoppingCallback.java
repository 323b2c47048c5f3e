package dev.jvision.train;

/**
 * {@code train.early_stopping_patience}: stops the fit after the epoch whose validation is the
 * {@code patience}-th in a row without the monitor improving (by more than
 * {@code train.min_delta}). One per fit; not thread-safe.
 */
final class EarlyStoppingCallback implements Callback {
    private final int patience;

    EarlyStoppingCallback(int patience) {
        this.patience = patience;
    }

    @Override
    public void onValidation(FitContext fit, Validation v) {
        if (patience > 0 && fit.sinceBest() >= patience) {
            fit.requestStop("early stopping: " + patience + " epochs without improvement of "
                    + fit.task().monitor().metric() + " (train.early_stopping_patience)");
        }
    }
}
