package dev.jvision.models.detect;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The raw predictions of a {@link Detector} for one batch: per anchor point, {@code 4 * regMax}
 * box-distribution logits and {@code numClasses} class logits, with the anchors they belong to.
 * The tensors belong to the caller's step scope; autograd flows through them in training.
 *
 * @param boxLogits   float [B, A, 4 * regMax] (side order l, t, r, b; bins inner)
 * @param classLogits float [B, A, numClasses]
 * @param anchors     the anchor points and strides (A of them)
 * @param regMax      bins per side
 */
public record DetectorOutput(Tensor boxLogits, Tensor classLogits, Anchors anchors, int regMax) {
    /** Batch size. */
    public long batchSize() {
        return boxLogits.size(0);
    }

    /** The box logits as [B, A, 4, regMax]. */
    public Tensor sideLogits() {
        return boxLogits.view(boxLogits.size(0), boxLogits.size(1), 4, regMax);
    }

    /** Expected side distances {@code sum_k k * softmax(logits)_k} in stride units, [B, A, 4]. */
    public Tensor distances() {
        Tensor prob = torch.softmax(sideLogits().to(torch.ScalarType.Float), -1);
        Tensor bins = T.arange(regMax, T.floats(boxLogits));
        return prob.matmul(bins);
    }

    /** Predicted boxes, corners in input pixels, [B, A, 4]. */
    public Tensor boxes() {
        return BoxOps.distancesToBoxes(anchors.points(), distances().mul(anchors.strides()));
    }

    /** Class probabilities (sigmoid), [B, A, numClasses]. */
    public Tensor scores() {
        return torch.sigmoid(classLogits.to(torch.ScalarType.Float));
    }

    /** One tensor [B, A, 4 * regMax + numClasses]: what {@link Detector#forward} returns. */
    public Tensor packed() {
        return T.cat(-1, boxLogits, classLogits);
    }

}
