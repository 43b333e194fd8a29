/**
 * The lab's commands: {@link flashsale.client.lab.FlashSaleLab} (the full {@code flashsale} command),
 * the demo, the load generator with its progress bar, and the fairness report. They run nodes in
 * this process, so they live apart from the slim cluster CLI in {@code flashsale.client.cli}.
 */
package flashsale.client.lab;
