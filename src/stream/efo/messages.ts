import { AwsError, invalidArgument, limitExceeded, resourceInUse, resourceNotFound } from '../../core/aws-error.js';

/**
 * Error texts for enhanced fan-out. The "not in ACTIVE status" wordings are AWS's as seen in
 * the wild (control plane and SubscribeToShard differ slightly); the others follow AWS's style
 * ("<thing> under stream <s> and account <a> …") where AWS's exact wording is not known.
 */
export const efoErrors = {
  consumerExists: (name: string, stream: string, account: string) =>
    resourceInUse(`Consumer ${name} under stream ${stream} and account ${account} already exists.`),
  consumerNotFound: (name: string, stream: string, account: string) =>
    resourceNotFound(`Consumer ${name} under stream ${stream} and account ${account} not found.`),
  consumerArnNotFound: (arn: string) => resourceNotFound(`Consumer ${arn} not found.`),
  consumerNotActive: (name: string, createdSec: number, stream: string, account: string) =>
    resourceInUse(`Consumer ${name} with creation timestamp ${createdSec} under stream ${stream} and account ${account} is not in ACTIVE status.`),
  /** The SubscribeToShard wording of the same condition. */
  subscribeConsumerNotActive: (name: string, createdSec: number, stream: string, account: string) =>
    resourceInUse(`Consumer ${name} with creation timestamp ${createdSec} under stream: ${stream} , account ${account} is not in ACTIVE status.`),
  tooManyConsumers: (stream: string, account: string, max: number) =>
    limitExceeded(`Stream ${stream} under account ${account} already has the maximum of ${max} registered consumers.`),
  tooManyCreating: (account: string, max: number) =>
    limitExceeded(`Only ${max} consumers can be in CREATING status at the same time under account ${account}. Wait for them to become ACTIVE before registering more.`),
  refRequired: () => invalidArgument('ConsumerARN or both ConsumerName and StreamARN are required for this request.'),
  refMismatch: (consumerArn: string) =>
    invalidArgument(`ConsumerARN ${consumerArn} does not identify the consumer named by StreamARN and ConsumerName.`),
  invalidConsumerArn: (arn: string) => invalidArgument(`Invalid ConsumerARN ${arn}.`),
  invalidNextToken: () => invalidArgument('Invalid NextToken.'),
  nextTokenStream: () => invalidArgument('NextToken was issued for a different StreamARN.'),
  expiredNextToken: (token: string) => new AwsError('ExpiredNextTokenException', `The timestamp of the NextToken ${token} is too old.`),
  activeSubscription: (account: string, stream: string, shardId: string, consumer: string) =>
    resourceInUse(`Another active subscription exists for this consumer: ${account}:${stream}:${shardId}:${consumer}`),
  subscriptionTakenOver: (account: string, stream: string, shardId: string, consumer: string) =>
    resourceInUse(`A newer subscription for this consumer took over: ${account}:${stream}:${shardId}:${consumer}`),
};
