// Lambda handler for DynamoDB Stream
export const handler = async (event) => {
for (const record of event.Records) {
if (record.eventName === 'INSERT') {
console.log('New item:', record.dynamodb.NewImage);
}
if (record.eventName === 'MODIFY') {
console.log('Old:', record.dynamodb.OldImage);
console.log('New:', record.dynamodb.NewImage);
}
}
};
