/**
 * Pretrained weights from the Hugging Face hub, offline first: {@link dev.jvision.models.hub.HubCache}
 * reads and writes the cache layout of Python's {@code huggingface_hub}, {@link dev.jvision.models.hub.HubClient}
 * downloads into it (redirects, resume, checksums), {@link dev.jvision.models.hub.Pretrained} turns
 * {@code model.pretrained: ORG/NAME[@REVISION]} into loaded weights and preprocessing.
 */
package dev.jvision.models.hub;
